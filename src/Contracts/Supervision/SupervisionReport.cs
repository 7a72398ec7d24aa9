using System.Collections.Immutable;

namespace Ioc.Contracts.Supervision;

/// <summary>
/// The People's Council's supervision report for one scope and one period, computed from stored history,
/// so that a past period's report stays the same whenever it is asked for.
/// </summary>
/// <param name="Scope">The province, locality, department, project or unit reported on.</param>
/// <param name="Period">The period reported on.</param>
/// <param name="PreviousPeriod">The period of the same kind before it, for the change.</param>
/// <param name="GeneratedAt">When the report was computed.</param>
/// <param name="Indicators">Each indicator's value for the period against its target, and the change from the previous period.</param>
/// <param name="BelowTarget">Every indicator below target at a unit at the end of the period, with its gap and how long.</param>
/// <param name="Compliance">Per unit, the scheduled reports missing in the period; only units that missed any.</param>
/// <param name="Letter">The letter's staffing and budget indicators, per locality and department.</param>
/// <param name="Alerts">The alerts raised in the period.</param>
/// <param name="Notes">What the reader should know about where the figures come from.</param>
public sealed record SupervisionReport(
    ReportScope Scope, ReportPeriod Period, ReportPeriod PreviousPeriod, DateTimeOffset GeneratedAt,
    ImmutableArray<IndicatorResult> Indicators, ImmutableArray<BelowTargetEntry> BelowTarget,
    ImmutableArray<UnitCompliance> Compliance, ImmutableArray<LetterStanding> Letter, AlertSection Alerts,
    ImmutableArray<string> Notes);

/// <summary>The entity a report covers.</summary>
/// <param name="Id">Entity id.</param>
/// <param name="Name">Vietnamese display name.</param>
/// <param name="Kind">Province, locality kind, department, project or unit.</param>
public sealed record ReportScope(string Id, string Name, EntityKind Kind);

/// <summary>A period as a report states it.</summary>
/// <param name="Id">As written in a query: <c>2026-11</c>, <c>2026-Q4</c>, <c>2026</c>.</param>
/// <param name="Kind">Month, quarter or year.</param>
/// <param name="Name">Vietnamese name: <c>tháng 11/2026</c>.</param>
/// <param name="Start">First instant, Vietnam time.</param>
/// <param name="End">End (exclusive), Vietnam time.</param>
public sealed record ReportPeriod(string Id, SupervisionPeriodKind Kind, string Name, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The report form of <paramref name="period"/>.</summary>
    public static ReportPeriod Of(SupervisionPeriod period) =>
        new(period.ToString(), period.Kind, period.VietnameseName, period.Start, period.End);
}

/// <summary>One indicator over the scope for the period.</summary>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Vietnamese display name.</param>
/// <param name="UnitOfMeasure">Unit of measure of value, target and change.</param>
/// <param name="Rollup">How the units' values combine into <paramref name="Value"/>.</param>
/// <param name="Target">The target in force at the scope, if any.</param>
/// <param name="Value">The units' last values in the period, rolled up; null when none reported.</param>
/// <param name="PreviousValue">The same for the previous period.</param>
/// <param name="Change">Value minus previous value; null when either is missing.</param>
/// <param name="Achieved">Whether the target was achieved (see <see cref="SupervisionRules.Achieved"/>); null without target or value.</param>
/// <param name="Units">Units under the scope that report the indicator.</param>
/// <param name="UnitsReporting">Of them, those that reported in the period.</param>
/// <param name="UnitsBelow">Of them, those whose last value in the period misses their target.</param>
public sealed record IndicatorResult(
    string Metric, string MetricName, string UnitOfMeasure, RollupKind Rollup, Target? Target,
    double? Value, double? PreviousValue, double? Change, bool? Achieved, int Units, int UnitsReporting, int UnitsBelow);

/// <summary>An indicator below target at one unit at the end of the period.</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="UnitName">Unit's display name.</param>
/// <param name="Locality">The unit's locality id.</param>
/// <param name="LocalityName">The locality's display name.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Metric's display name.</param>
/// <param name="UnitOfMeasure">Unit of measure of value, target and gap.</param>
/// <param name="Value">The unit's last value in the period.</param>
/// <param name="Target">The target in force.</param>
/// <param name="Direction">Floor or ceiling.</param>
/// <param name="Gap">How far the value is from the target, positive.</param>
/// <param name="Since">The day of the first value of the run below target that ends the period.</param>
/// <param name="SinceAtLeast">True when history looked at begins below target, so the run may be older than <paramref name="Since"/>.</param>
/// <param name="DaysBelow">Whole days from <paramref name="Since"/> to the end of the period (or now, if sooner).</param>
public sealed record BelowTargetEntry(
    string Unit, string UnitName, string Locality, string LocalityName, string Metric, string MetricName, string UnitOfMeasure,
    double Value, double Target, TargetDirection Direction, double Gap, DateTimeOffset Since, bool SinceAtLeast, int DaysBelow);

/// <summary>A unit's missing scheduled reports in the period.</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="UnitName">Unit's display name.</param>
/// <param name="Locality">The unit's locality id.</param>
/// <param name="LocalityName">The locality's display name.</param>
/// <param name="Due">Reports due in the period, over all its scheduled indicators.</param>
/// <param name="Missing">Of them, those not made.</param>
/// <param name="Indicators">Per indicator with any missing.</param>
public sealed record UnitCompliance(
    string Unit, string UnitName, string Locality, string LocalityName, int Due, int Missing, ImmutableArray<MissingIndicator> Indicators);

/// <summary>One scheduled indicator's missing reports at one unit.</summary>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Display name.</param>
/// <param name="Schedule">Daily or monthly.</param>
/// <param name="Due">Days or months due in the period.</param>
/// <param name="Missing">Of them, those with no value.</param>
/// <param name="FirstMissing">The first slot missed.</param>
/// <param name="LastReported">The last value's day before the end of the period, if any ever came.</param>
public sealed record MissingIndicator(
    string Metric, string MetricName, ReportingPeriodKind Schedule, int Due, int Missing, DateTimeOffset FirstMissing, DateTimeOffset? LastReported);

/// <summary>A locality's or department's standing on the letter's two indicators.</summary>
/// <param name="Entity">Locality or department id.</param>
/// <param name="EntityName">Display name.</param>
/// <param name="Kind">City, town, district or department.</param>
/// <param name="Indicators">IT-degree officials, then budget share, where the catalog has them.</param>
public sealed record LetterStanding(string Entity, string EntityName, EntityKind Kind, ImmutableArray<LetterIndicator> Indicators);

/// <summary>One of the letter's indicators for one locality or department, stated plainly.</summary>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Display name.</param>
/// <param name="UnitOfMeasure">Unit of measure.</param>
/// <param name="Target">The target in force at the entity.</param>
/// <param name="Value">Its units' last values in the period, rolled up; null when none reported.</param>
/// <param name="Achieved">Whether the target is met; null without value or target.</param>
/// <param name="Statement">One Vietnamese sentence saying it.</param>
public sealed record LetterIndicator(string Metric, string MetricName, string UnitOfMeasure, Target? Target, double? Value, bool? Achieved, string Statement);

/// <summary>The alerts raised in the period.</summary>
/// <param name="Raised">How many.</param>
/// <param name="Acknowledged">Of them, how many were acknowledged.</param>
/// <param name="MedianMinutesToAcknowledge">Median wait for those acknowledged; null when none were.</param>
/// <param name="MaxMinutesToAcknowledge">Longest wait for those acknowledged.</param>
/// <param name="Items">Each alert, oldest first.</param>
public sealed record AlertSection(int Raised, int Acknowledged, double? MedianMinutesToAcknowledge, double? MaxMinutesToAcknowledge, ImmutableArray<AlertEntry> Items);

/// <summary>One alert raised in the period.</summary>
/// <param name="Id">Alert id.</param>
/// <param name="Unit">Unit id.</param>
/// <param name="UnitName">Unit's display name.</param>
/// <param name="Metric">Metric id, or null when the unit went offline.</param>
/// <param name="MetricName">Metric's display name.</param>
/// <param name="Severity">Severity.</param>
/// <param name="State">State now.</param>
/// <param name="RaisedAt">When raised.</param>
/// <param name="AcknowledgedAt">When acknowledged.</param>
/// <param name="AcknowledgedBy">By whom.</param>
/// <param name="Comment">The acknowledgement's comment.</param>
/// <param name="MinutesToAcknowledge">Minutes from raising to acknowledgement; null when not acknowledged.</param>
/// <param name="ClearedAt">When it cleared.</param>
public sealed record AlertEntry(
    string Id, string Unit, string UnitName, string? Metric, string? MetricName, AlertSeverity Severity, AlertState State,
    DateTimeOffset RaisedAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Comment, double? MinutesToAcknowledge, DateTimeOffset? ClearedAt);
