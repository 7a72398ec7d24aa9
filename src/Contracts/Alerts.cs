using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Ioc.Contracts;

/// <summary>An alert as screens and the API show it.</summary>
/// <param name="Id">Alert id: the unit id, a dot and a number (<c>van-lam-air-1.7</c>).</param>
/// <param name="Entity">The unit it was raised on.</param>
/// <param name="EntityName">The unit's display name.</param>
/// <param name="Metric">The metric that breached, or null for an offline alert.</param>
/// <param name="MetricName">The metric's display name, or null for an offline alert.</param>
/// <param name="Severity">Warning, critical or offline; follows the value while the alert is open.</param>
/// <param name="State">Active, acknowledged or cleared.</param>
/// <param name="Value">The value that raised it, or last changed its severity; null for offline.</param>
/// <param name="Threshold">The threshold that value crossed; null for offline.</param>
/// <param name="RaisedAt">When it was raised.</param>
/// <param name="AcknowledgedBy">Who acknowledged it.</param>
/// <param name="AcknowledgedAt">When.</param>
/// <param name="Comment">The acknowledgement's comment.</param>
/// <param name="Escalated">Whether it was left unacknowledged past the escalation time.</param>
/// <param name="ClearedAt">When it cleared.</param>
/// <param name="Version">Rises with every change, so a screen can drop a stale copy.</param>
[GenerateSerializer, Immutable]
public sealed record Alert(
    string Id, string Entity, string EntityName, string? Metric, string? MetricName,
    AlertSeverity Severity, AlertState State, double? Value, double? Threshold, DateTimeOffset RaisedAt,
    string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, string? Comment, bool Escalated, DateTimeOffset? ClearedAt, int Version)
{
    /// <summary>Whether the condition still holds.</summary>
    [JsonIgnore] public bool IsOpen => State != AlertState.Cleared;
}

/// <summary>What happened to an alert.</summary>
public enum AlertAction
{
    /// <summary>The condition began.</summary>
    Raised,
    /// <summary>The value crossed into another severity while the alert was open.</summary>
    SeverityChanged,
    /// <summary>A supervisor acknowledged it.</summary>
    Acknowledged,
    /// <summary>It was left unacknowledged past the escalation time.</summary>
    Escalated,
    /// <summary>The condition ended.</summary>
    Cleared,
}

/// <summary>One entry in an alert's audit trail.</summary>
/// <param name="At">When.</param>
/// <param name="Action">What happened.</param>
/// <param name="By">Who: a person for an acknowledgement, <c>system</c> otherwise.</param>
/// <param name="Severity">The severity after the event.</param>
/// <param name="Value">The value involved, if any.</param>
/// <param name="Comment">The acknowledgement's comment, or what the system observed.</param>
[GenerateSerializer, Immutable]
public sealed record AlertEvent(DateTimeOffset At, AlertAction Action, string By, AlertSeverity Severity, double? Value, string? Comment);

/// <summary>An alert with its whole audit trail, oldest entry first.</summary>
/// <param name="Alert">The alert now.</param>
/// <param name="Trail">Everything that happened to it.</param>
[GenerateSerializer, Immutable]
public sealed record AlertDetail(Alert Alert, ImmutableArray<AlertEvent> Trail);

/// <summary>
/// One condition a unit holds now, as its alerts see it. A unit sends every condition it can judge;
/// a metric it cannot judge (no fresh value) is left out and its alert, if any, stays as it is.
/// </summary>
/// <param name="Metric">The metric, or null for the unit being offline.</param>
/// <param name="Severity">The breach, or null when the metric is within thresholds (the unit is online).</param>
/// <param name="Value">The metric's value.</param>
/// <param name="Threshold">The threshold crossed.</param>
[GenerateSerializer, Immutable]
public sealed record AlertCondition(string? Metric, AlertSeverity? Severity, double? Value, double? Threshold);

/// <summary>How an acknowledgement went.</summary>
public enum AckOutcome
{
    /// <summary>Recorded.</summary>
    Acknowledged,
    /// <summary>There is no such alert.</summary>
    NotFound,
    /// <summary>The alert is already acknowledged or has cleared.</summary>
    NotActive,
}

/// <summary>The outcome of an acknowledgement and the alert as it now stands.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Alert">The alert, when there is one.</param>
[GenerateSerializer, Immutable]
public sealed record AckResult(AckOutcome Outcome, Alert? Alert);

/// <summary>
/// The alerts of one unit, keyed by the unit id: raised, re-graded and cleared from the conditions the
/// unit reports, acknowledged by supervisors, escalated when left unacknowledged. Stored on every change.
/// </summary>
public interface IAlertsGrain : IGrainWithStringKey
{
    /// <summary>Reconciles the open alerts with the conditions the unit holds now; true while any alert is still open.</summary>
    Task<bool> Observe(ImmutableArray<AlertCondition> conditions);

    /// <summary>Every alert kept for the unit, open and recently cleared.</summary>
    Task<ImmutableArray<Alert>> GetAlerts();

    /// <summary>One alert with its audit trail, or null.</summary>
    Task<AlertDetail?> GetAlert(string alertId);

    /// <summary>Acknowledges an active alert.</summary>
    Task<AckResult> Acknowledge(string alertId, string by, string? comment);

    /// <summary>
    /// The alerts with their revision, for an index that has not heard from this unit since it activated.
    /// Interleaves: it only reads, and the index may ask while these alerts wait on it.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<UnitAlerts> GetUnitAlerts();

    /// <summary>Sends the alerts to the unit's parents' indexes again; a reactivated index asks for this.</summary>
    [Orleans.Concurrency.OneWay]
    Task ResendToIndexes();
}

/// <summary>Alert ids: <c>{unit}.{number}</c>. Unit ids are slugs without dots, so the unit is everything before the last dot.</summary>
public static class AlertIds
{
    /// <summary>The id of a unit's <paramref name="number"/>th alert.</summary>
    public static string Of(string unit, int number) => $"{unit}.{number}";

    /// <summary>The unit an alert id belongs to, or null when the id is not shaped like one.</summary>
    public static string? UnitOf(string alertId)
    {
        var dot = alertId.LastIndexOf('.');
        return dot > 0 && dot < alertId.Length - 1 && alertId.AsSpan(dot + 1).IndexOfAnyExceptInRange('0', '9') < 0 ? alertId[..dot] : null;
    }
}
