namespace Ioc.Domain;

/// <summary>What raised an alert, and how bad it is.</summary>
public enum AlertSeverity
{
    /// <summary>A value past its warning threshold.</summary>
    Warning,
    /// <summary>A value past its critical threshold.</summary>
    Critical,
    /// <summary>The unit has fallen silent.</summary>
    Offline,
}

/// <summary>Where an alert is in its life.</summary>
public enum AlertState
{
    /// <summary>Raised and not yet acknowledged.</summary>
    Active,
    /// <summary>A supervisor has taken it on; the condition still holds.</summary>
    Acknowledged,
    /// <summary>The condition is over: the value recovered or the unit came back.</summary>
    Cleared,
}

/// <summary>What an alert's condition, as a unit observes it now, does to the alert open on it.</summary>
public enum AlertChange
{
    /// <summary>Nothing: no breach and no open alert, or the open alert already has the observed severity.</summary>
    None,
    /// <summary>A breach with no open alert: a new alert is raised.</summary>
    Raise,
    /// <summary>A breach of another severity than the open alert's: the alert follows it.</summary>
    ChangeSeverity,
    /// <summary>No breach any more while an alert is open: it clears.</summary>
    Clear,
}

/// <summary>When a unit's conditions breach, and what becomes of its alerts.</summary>
public static class AlertRules
{
    /// <summary>
    /// The breach of a fresh <paramref name="value"/>, given the severity of the breach already told for it
    /// (<paramref name="held"/>): a breach holds until the value is back inside its threshold by
    /// <paramref name="clearMargin"/>. Null when the value is within its thresholds.
    /// </summary>
    public static AlertSeverity? Breach(Thresholds thresholds, double value, AlertSeverity? held, double clearMargin)
    {
        var holding = held switch
        {
            AlertSeverity.Critical => HealthStatus.Critical,
            AlertSeverity.Warning => HealthStatus.Warning,
            _ => HealthStatus.Ok,
        };
        return thresholds.Classify(value, holding, clearMargin) switch
        {
            HealthStatus.Critical => AlertSeverity.Critical,
            HealthStatus.Warning => AlertSeverity.Warning,
            _ => null,
        };
    }

    /// <summary>The unit's own condition: offline, or none.</summary>
    public static AlertSeverity? UnitCondition(HealthStatus unitStatus) => unitStatus == HealthStatus.Offline ? AlertSeverity.Offline : null;

    /// <summary>The threshold a breach of <paramref name="severity"/> crossed.</summary>
    public static double? ThresholdCrossed(Thresholds thresholds, AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => thresholds.Critical,
        AlertSeverity.Warning => thresholds.Warning,
        _ => null,
    };

    /// <summary>What the <paramref name="observed"/> breach (null: none) does to the alert open on the same condition (null: none open).</summary>
    public static AlertChange Decide(AlertSeverity? open, AlertSeverity? observed) => (open, observed) switch
    {
        (null, null) => AlertChange.None,
        (not null, null) => AlertChange.Clear,
        (null, not null) => AlertChange.Raise,
        _ => open == observed ? AlertChange.None : AlertChange.ChangeSeverity,
    };

    /// <summary>Whether a supervisor may acknowledge an alert in <paramref name="state"/>: only an active one.</summary>
    public static bool CanAcknowledge(AlertState state) => state == AlertState.Active;

    /// <summary>Whether an alert escalates at <paramref name="now"/>: active, not yet escalated, raised at least <paramref name="escalateAfter"/> ago.</summary>
    public static bool IsDueForEscalation(AlertState state, bool escalated, DateTimeOffset raisedAt, TimeSpan escalateAfter, DateTimeOffset now) =>
        state == AlertState.Active && !escalated && now - raisedAt >= escalateAfter;

    /// <summary>
    /// How long to wait before checking escalation again, for the first alert still to escalate (raised at
    /// <paramref name="firstRaisedAt"/>): until it comes due, but never longer than <paramref name="checkPeriod"/>.
    /// </summary>
    public static TimeSpan EscalationWait(DateTimeOffset firstRaisedAt, TimeSpan escalateAfter, TimeSpan checkPeriod, DateTimeOffset now)
    {
        var wait = firstRaisedAt + escalateAfter - now;
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > checkPeriod ? checkPeriod : wait;
    }

    /// <summary>
    /// Removes cleared alerts that are too old to keep (cleared before <paramref name="now"/> minus
    /// <paramref name="retention"/>), then the oldest cleared ones beyond <paramref name="maxCleared"/>.
    /// Open alerts are always kept. <paramref name="alerts"/> is oldest first.
    /// </summary>
    public static void Prune<T>(List<T> alerts, Func<T, AlertState> stateOf, Func<T, DateTimeOffset?> clearedAt,
        DateTimeOffset now, TimeSpan retention, int maxCleared)
    {
        var cutoff = now - retention;
        alerts.RemoveAll(a => stateOf(a) == AlertState.Cleared && clearedAt(a) < cutoff);
        var excess = alerts.Count(a => stateOf(a) == AlertState.Cleared) - maxCleared;
        for (var i = 0; excess > 0 && i < alerts.Count;)
        {
            if (stateOf(alerts[i]) == AlertState.Cleared)
            {
                alerts.RemoveAt(i);
                excess--;
            }
            else
            {
                i++;
            }
        }
    }
}
