namespace Ioc.Tests.Alerts;

/// <summary>Alerts are stored on every change: a hub that dies and starts again over the same storage has them all.</summary>
public sealed class AlertRestartTests
{
    [Fact]
    public async Task Alerts_their_acknowledgements_and_trails_survive_a_silo_crash_and_open_ones_go_on_escalating()
    {
        var store = new SharedGrainStore();
        var start = AlertsClusterFixture.Start;
        Alert acknowledged, open;
        AlertDetail acknowledgedBefore;
        await using (var first = await AlertsClusterFixture.StartAsync(start, store))
        {
            await first.Report("air-1", ("pm25", 80));
            await first.Report("air-2", ("pm25", 60));
            acknowledged = await first.Feed.Alert(a => a.Entity == "air-1");
            open = await first.Feed.Alert(a => a.Entity == "air-2");
            await first.Client.GetGrain<IAlertsGrain>("air-1").Acknowledge(acknowledged.Id, "Trần Thị Bích", "theo dõi tiếp");
            acknowledgedBefore = (await first.Client.GetGrain<IAlertsGrain>("air-1").GetAlert(acknowledged.Id))!;
            // No graceful shutdown: nothing gets a chance to write on its way out.
            await first.Kill();
        }

        await using var second = await AlertsClusterFixture.StartAsync(start + TimeSpan.FromSeconds(10), store);
        var acknowledgedAfter = (await second.Client.GetGrain<IAlertsGrain>("air-1").GetAlert(acknowledged.Id))!;
        Assert.Equal(acknowledgedBefore.Alert, acknowledgedAfter.Alert);
        Assert.Equal(acknowledgedBefore.Trail, acknowledgedAfter.Trail);
        Assert.Equal(AlertState.Acknowledged, acknowledgedAfter.Alert.State);
        var openAfter = (await second.Client.GetGrain<IAlertsGrain>("air-2").GetAlert(open.Id))!.Alert;
        Assert.Equal(open, openAfter);

        var mark = second.Feed.Mark();
        await second.Advance(AlertsClusterFixture.EscalateAfter);
        var escalated = await second.Feed.Alert(a => a.Id == open.Id && a.Escalated, mark);
        Assert.Equal(AlertState.Active, escalated.State);

        // Numbering carries on where it stopped: a new breach is not mistaken for an old alert.
        await second.Report("air-1", ("pm25", 30));
        await second.Report("air-1", ("pm25", 70));
        var next = await second.Feed.Alert(a => a.Entity == "air-1" && a.Id != acknowledged.Id, mark);
        Assert.Equal(AlertIds.Of("air-1", 2), next.Id);
    }
}
