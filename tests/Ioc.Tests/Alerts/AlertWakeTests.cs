namespace Ioc.Tests.Alerts;

/// <summary>
/// A unit wakes its alerts only while it breaches something or its alerts hold an open alert; alerts that hold one
/// make sure their unit knows, whatever it stored.
/// </summary>
public sealed class AlertWakeTests
{
    private static readonly GrainType Alerts = GrainType.Create("alerts");

    [Fact]
    public async Task A_unit_within_its_thresholds_wakes_no_alerts_and_one_that_breaches_raises_and_clears_as_before()
    {
        await using var hub = await AlertsClusterFixture.StartAsync(AlertsClusterFixture.Start);
        var mark = hub.Feed.Mark();
        await hub.Report("air-4", ("pm25", 20));
        await hub.Feed.Update(u => u.Id == "air-4" && u.Metrics.Any(m => m.Metric == "pm25"), mark);
        Assert.DoesNotContain("air-4", await ActiveAlerts(hub));

        await hub.Report("air-4", ("pm25", 80));
        var raised = await hub.Feed.Alert(a => a.Entity == "air-4" && a.State == AlertState.Active, mark);
        Assert.Contains("air-4", await ActiveAlerts(hub));

        await hub.Report("air-4", ("pm25", 20));
        await hub.Feed.Alert(a => a.Id == raised.Id && a.State == AlertState.Cleared, mark);
    }

    [Fact]
    public async Task An_open_alert_whose_unit_never_stored_that_it_raised_one_is_cleared_by_the_units_next_value_after_a_restart()
    {
        var store = new SharedGrainStore();
        Alert open;
        await using (var first = await AlertsClusterFixture.StartAsync(AlertsClusterFixture.Start, store))
        {
            // As if the unit was lost before it stored that it told its alerts of a breach: it has no record of it.
            var mark = first.Feed.Mark();
            Assert.True(await first.Client.GetGrain<IAlertsGrain>("air-5").Observe([new AlertCondition("pm25", AlertSeverity.Critical, 91.5, 75)]));
            open = await first.Feed.Alert(a => a.Entity == "air-5", mark);
            await first.Kill();
        }

        await using var second = await AlertsClusterFixture.StartAsync(AlertsClusterFixture.Start + TimeSpan.FromMinutes(1), store);
        var after = second.Feed.Mark();
        // A supervisor opens the alert, which wakes it; it tells the unit it holds an open alert.
        Assert.Equal(AlertState.Active, (await second.Client.GetGrain<IAlertsGrain>("air-5").GetAlert(open.Id))!.Alert.State);
        // The unit's next value is within the thresholds, a change of nothing it breaches, and it clears the alert.
        await second.Report("air-5", ("pm25", 20));
        // (Raised a minute ago, it escalates as it wakes; that change reaches the screens too.)
        await second.Feed.Alert(a => a.Id == open.Id && a.State == AlertState.Cleared, after);
        Assert.Equal("the value is back within its thresholds", (await second.Client.GetGrain<IAlertsGrain>("air-5").GetAlert(open.Id))!.Trail[^1].Comment);
    }

    private static async Task<IEnumerable<string>> ActiveAlerts(HubCluster hub) =>
        (await hub.Client.GetGrain<IManagementGrain>(0).GetActiveGrains(Alerts, Cancel)).Select(g => g.Key.ToString()!);
}
