using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>When an alert opens, follows its value, clears, escalates and is pruned, without a silo.</summary>
public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset Raised = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan EscalateAfter = TimeSpan.FromMinutes(15);
    private static readonly Gen<AlertSeverity?> Severity = Gen.Int[-1, 2].Select(i => i < 0 ? null : (AlertSeverity?)i);

    [Theory]
    [InlineData(null, null, AlertChange.None)]
    [InlineData(null, AlertSeverity.Warning, AlertChange.Raise)]
    [InlineData(AlertSeverity.Warning, AlertSeverity.Warning, AlertChange.None)]
    [InlineData(AlertSeverity.Warning, AlertSeverity.Critical, AlertChange.ChangeSeverity)]
    [InlineData(AlertSeverity.Critical, AlertSeverity.Warning, AlertChange.ChangeSeverity)]
    [InlineData(AlertSeverity.Critical, null, AlertChange.Clear)]
    [InlineData(AlertSeverity.Offline, null, AlertChange.Clear)]
    [InlineData(null, AlertSeverity.Offline, AlertChange.Raise)]
    public void A_condition_raises_regrades_or_clears_the_alert_open_on_it(AlertSeverity? open, AlertSeverity? observed, AlertChange change) =>
        Assert.Equal(change, AlertRules.Decide(open, observed));

    [Fact]
    public void Observing_the_same_condition_twice_changes_nothing_the_second_time() =>
        Gen.Select(Severity, Severity).Sample(t =>
        {
            var (open, observed) = t;
            // After the first decision the open alert, if any, has the observed severity.
            AlertSeverity? after = AlertRules.Decide(open, observed) switch
            {
                AlertChange.Clear => null,
                AlertChange.Raise or AlertChange.ChangeSeverity => observed,
                _ => open,
            };
            Assert.Equal(AlertChange.None, AlertRules.Decide(after, observed));
        });

    [Fact]
    public void The_unit_itself_is_in_breach_only_while_offline() =>
        Assert.All(Enum.GetValues<HealthStatus>(), s =>
            Assert.Equal(s == HealthStatus.Offline ? AlertSeverity.Offline : null, AlertRules.UnitCondition(s)));

    [Fact]
    public void A_breach_names_the_threshold_it_crossed()
    {
        var thresholds = new Thresholds(TargetDirection.AtMost, 50, 100);
        Assert.Equal((50.0, 100.0), (AlertRules.ThresholdCrossed(thresholds, AlertSeverity.Warning), AlertRules.ThresholdCrossed(thresholds, AlertSeverity.Critical)));
    }

    [Fact]
    public void Only_an_active_alert_can_be_acknowledged() =>
        Assert.Equal([AlertState.Active], Enum.GetValues<AlertState>().Where(AlertRules.CanAcknowledge));

    [Fact]
    public void An_active_alert_escalates_once_it_has_been_unacknowledged_for_the_escalation_time()
    {
        Assert.False(AlertRules.IsDueForEscalation(AlertState.Active, false, Raised, EscalateAfter, Raised + EscalateAfter - TimeSpan.FromTicks(1)));
        Assert.True(AlertRules.IsDueForEscalation(AlertState.Active, false, Raised, EscalateAfter, Raised + EscalateAfter));
        Assert.False(AlertRules.IsDueForEscalation(AlertState.Active, true, Raised, EscalateAfter, Raised + EscalateAfter), "it escalates once");
        Assert.False(AlertRules.IsDueForEscalation(AlertState.Acknowledged, false, Raised, EscalateAfter, Raised + EscalateAfter));
        Assert.False(AlertRules.IsDueForEscalation(AlertState.Cleared, false, Raised, EscalateAfter, Raised + EscalateAfter));
    }

    [Fact]
    public void The_escalation_check_waits_until_the_first_alert_is_due_but_never_past_the_check_period() =>
        Gen.Long[-TimeSpan.FromHours(1).Ticks, TimeSpan.FromHours(1).Ticks].Sample(ticks =>
        {
            var now = Raised + TimeSpan.FromTicks(ticks);
            var wait = AlertRules.EscalationWait(Raised, EscalateAfter, TimeSpan.FromMinutes(1), now);
            Assert.InRange(wait, TimeSpan.Zero, TimeSpan.FromMinutes(1));
            Assert.True(now + wait <= Raised + EscalateAfter || wait == TimeSpan.Zero, "it never waits past the moment the alert is due");
        });

    [Fact]
    public void Pruning_drops_cleared_alerts_past_their_retention_then_the_oldest_cleared_beyond_the_limit_and_never_an_open_one()
    {
        var now = Raised + TimeSpan.FromDays(100);
        List<(string Id, AlertState State, DateTimeOffset? ClearedAt)> alerts =
        [
            ("old", AlertState.Cleared, Raised),
            ("open", AlertState.Active, null),
            ("c1", AlertState.Cleared, now.AddDays(-3)),
            ("acked", AlertState.Acknowledged, null),
            ("c2", AlertState.Cleared, now.AddDays(-2)),
            ("c3", AlertState.Cleared, now.AddDays(-1)),
        ];
        AlertRules.Prune(alerts, a => a.State, a => a.ClearedAt, now, TimeSpan.FromDays(90), maxCleared: 2);
        Assert.Equal(["open", "acked", "c2", "c3"], alerts.Select(a => a.Id));
    }
}
