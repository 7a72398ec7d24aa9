namespace Ioc.Tests.Alerts;

/// <summary>
/// An alert's life: raised by a breach or by a unit falling silent, re-graded while open, acknowledged
/// by a supervisor, escalated when nobody does, cleared when the condition ends; every step audited
/// and pushed to the screens. Each test has its own units.
/// </summary>
[Collection(AlertsCluster.Name)]
public sealed class AlertLifecycleTests(AlertsClusterFixture fixture)
{
    private HubCluster Hub => fixture.Cluster;

    private IAlertsGrain AlertsOf(string unit) => Hub.Client.GetGrain<IAlertsGrain>(unit);

    [Fact]
    public async Task A_breach_raises_an_active_alert_that_is_regraded_acknowledged_and_cleared_when_the_value_recovers_with_a_full_trail()
    {
        var mark = Hub.Feed.Mark();
        var raisedAt = Hub.Time.GetUtcNow();
        await Hub.Report("air-1", ("pm25", 60));
        var raised = await Hub.Feed.Alert(a => a.Entity == "air-1", mark);
        Assert.Equal(
            new Alert(raised.Id, "air-1", "Trạm quan trắc không khí Như Quỳnh", "pm25", "Bụi mịn PM2.5", AlertSeverity.Warning, AlertState.Active,
                60, 50, raisedAt, null, null, null, false, null, 1),
            raised);

        await Hub.Report("air-1", ("pm25", 80));
        var critical = await Hub.Feed.Alert(a => a.Id == raised.Id && a.Version == 2, mark);
        Assert.Equal((AlertSeverity.Critical, AlertState.Active, 80.0, 75.0), (critical.Severity, critical.State, critical.Value, critical.Threshold));

        await Hub.Advance(TimeSpan.FromSeconds(10));
        var ackedAt = Hub.Time.GetUtcNow();
        var ack = await AlertsOf("air-1").Acknowledge(raised.Id, "Trần Thị Bích", "Đã cử đội kiểm tra, nguồn bụi từ công trường");
        Assert.Equal(AckOutcome.Acknowledged, ack.Outcome);
        var acknowledged = await Hub.Feed.Alert(a => a.Id == raised.Id && a.State == AlertState.Acknowledged, mark);
        Assert.Equal(("Trần Thị Bích", (DateTimeOffset?)ackedAt, "Đã cử đội kiểm tra, nguồn bụi từ công trường"),
            (acknowledged.AcknowledgedBy, acknowledged.AcknowledgedAt, acknowledged.Comment));

        await Hub.Report("air-1", ("pm25", 40));
        var cleared = await Hub.Feed.Alert(a => a.Id == raised.Id && a.State == AlertState.Cleared, mark);
        Assert.Equal((Hub.Time.GetUtcNow(), "Trần Thị Bích"), (cleared.ClearedAt, cleared.AcknowledgedBy));

        var detail = await AlertsOf("air-1").GetAlert(raised.Id);
        Assert.NotNull(detail);
        Assert.Equal(cleared, detail.Alert);
        Assert.Equal(
            [(AlertAction.Raised, "system"), (AlertAction.SeverityChanged, "system"), (AlertAction.Acknowledged, "Trần Thị Bích"), (AlertAction.Cleared, "system")],
            detail.Trail.Select(e => (e.Action, e.By)));
        Assert.Equal([raisedAt, raisedAt, ackedAt, ackedAt], detail.Trail.Select(e => e.At));
        Assert.Equal(AckOutcome.NotActive, (await AlertsOf("air-1").Acknowledge(raised.Id, "Trần Thị Bích", null)).Outcome);

        // The next breach is a new alert.
        await Hub.Report("air-1", ("pm25", 55));
        var next = await Hub.Feed.Alert(a => a.Entity == "air-1" && a.Id != raised.Id, mark);
        Assert.Equal(AlertState.Active, next.State);
    }

    [Fact]
    public async Task An_alert_left_unacknowledged_past_the_escalation_time_escalates_on_the_hubs_clock()
    {
        var mark = Hub.Feed.Mark();
        await Hub.Report("air-2", ("pm25", 90));
        var raised = await Hub.Feed.Alert(a => a.Entity == "air-2", mark);

        await Hub.Advance(AlertsClusterFixture.EscalateAfter - TimeSpan.FromSeconds(1));
        Assert.False((await AlertsOf("air-2").GetAlert(raised.Id))!.Alert.Escalated);

        await Hub.Advance(TimeSpan.FromSeconds(2));
        var escalated = await Hub.Feed.Alert(a => a.Id == raised.Id && a.Escalated, mark);
        Assert.Equal((AlertState.Active, AlertSeverity.Critical), (escalated.State, escalated.Severity));
        var trail = (await AlertsOf("air-2").GetAlert(raised.Id))!.Trail;
        Assert.Equal((AlertAction.Escalated, "system"), (trail[^1].Action, trail[^1].By));

        // Escalated alerts can still be acknowledged; they stay marked as escalated.
        var ack = await AlertsOf("air-2").Acknowledge(raised.Id, "Đỗ Minh Châu", null);
        Assert.Equal((AckOutcome.Acknowledged, true), (ack.Outcome, ack.Alert!.Escalated));
    }

    [Fact]
    public async Task An_acknowledged_alert_does_not_escalate()
    {
        var mark = Hub.Feed.Mark();
        await Hub.Report("air-3", ("pm25", 60));
        await Hub.Report("air-4", ("pm25", 60));
        var acknowledged = await Hub.Feed.Alert(a => a.Entity == "air-3", mark);
        var left = await Hub.Feed.Alert(a => a.Entity == "air-4", mark);
        await AlertsOf("air-3").Acknowledge(acknowledged.Id, "Đỗ Minh Châu", "đang xử lý");

        await Hub.Advance(AlertsClusterFixture.EscalateAfter + TimeSpan.FromSeconds(1));

        await Hub.Feed.Alert(a => a.Id == left.Id && a.Escalated, mark);
        var detail = (await AlertsOf("air-3").GetAlert(acknowledged.Id))!;
        Assert.False(detail.Alert.Escalated);
        Assert.DoesNotContain(detail.Trail, e => e.Action == AlertAction.Escalated);
    }

    [Fact]
    public async Task A_unit_that_falls_silent_raises_an_offline_alert_that_clears_when_it_reports_again()
    {
        var mark = Hub.Feed.Mark();
        await Hub.Report("gauge-1", ("water-level", 1.2));
        await Hub.Client.GetGrain<IUnitGrain>("gauge-2").GetSnapshot();

        await Hub.Advance(TimeSpan.FromSeconds(21));

        var offline = await Hub.Feed.Alert(a => a.Entity == "gauge-1", mark);
        Assert.Equal((null, AlertSeverity.Offline, AlertState.Active, (double?)null), (offline.Metric, offline.Severity, offline.State, offline.Value));
        // A unit that never reported has not gone anywhere: it raises nothing.
        Assert.Empty(await AlertsOf("gauge-2").GetAlerts());

        await Hub.Report("gauge-1", ("water-level", 1.3));
        var back = await Hub.Feed.Alert(a => a.Id == offline.Id && a.State == AlertState.Cleared, mark);
        Assert.Equal(
            [AlertAction.Raised, AlertAction.Cleared],
            (await AlertsOf("gauge-1").GetAlert(back.Id))!.Trail.Select(e => e.Action));
    }

    [Fact]
    public async Task A_value_over_its_critical_threshold_is_critical_at_once()
    {
        var mark = Hub.Feed.Mark();
        await Hub.Report("gauge-3", ("water-level", 4.8));
        var alert = await Hub.Feed.Alert(a => a.Entity == "gauge-3" && a.Metric == "water-level", mark);
        Assert.Equal((AlertSeverity.Critical, 4.8, 4.5), (alert.Severity, alert.Value, alert.Threshold));
        await Hub.Report("gauge-3", ("water-level", 2.0));
        await Hub.Feed.Alert(a => a.Id == alert.Id && a.State == AlertState.Cleared, mark);
    }

    [Fact]
    public async Task A_value_hovering_at_its_threshold_holds_its_alert_until_it_is_back_inside_by_the_clear_margin()
    {
        var mark = Hub.Feed.Mark();
        await Hub.Report("air-5", ("pm25", 52));
        var raised = await Hub.Feed.Alert(a => a.Entity == "air-5", mark);

        // Within 5% of the 50 µg/m³ warning threshold: still the same breach.
        await Hub.Report("air-5", ("pm25", 49));
        await Hub.Report("air-5", ("pm25", 48));
        await Hub.Report("air-5", ("pm25", 80));
        var critical = await Hub.Feed.Alert(a => a.Entity == "air-5" && a.Severity == AlertSeverity.Critical, mark);
        Assert.Equal(raised.Id, critical.Id);
        // Within 5% of the 75 µg/m³ critical threshold: still critical.
        await Hub.Report("air-5", ("pm25", 72));
        await Hub.Report("air-5", ("pm25", 47));
        await Hub.Feed.Alert(a => a.Id == raised.Id && a.State == AlertState.Cleared, mark);

        Assert.Equal(
            [AlertAction.Raised, AlertAction.SeverityChanged, AlertAction.Cleared],
            (await AlertsOf("air-5").GetAlert(raised.Id))!.Trail.Select(e => e.Action));
    }
}
