namespace Ioc.Tests.Grains;

// Its own cluster: it moves the clock, which would age every other test's units.
public sealed class OfflineTests(GrainCluster hub) : IClassFixture<GrainCluster>
{
    [Fact]
    public async Task A_unit_silent_past_its_reporting_interval_goes_offline_and_leaves_the_roll_ups()
    {
        var unit = hub.Client.GetGrain<IUnitGrain>("tx-my-hao-air-1");
        await hub.Feed.WaitFor("tx-my-hao", u => u.Rollups.Any(r => r.Metric == "pm25" && r.Value == 42),
            () => unit.Report([new MetricPoint("pm25", 42, hub.Time.GetUtcNow())]));

        var withdrawn = hub.Feed.WaitFor("tx-my-hao", u => u.Rollups.Any(r => r.Metric == "pm25" && r.Units == 0));
        // pm25 is expected every minute; the grace factor is 2.
        var offline = await hub.Feed.WaitFor("tx-my-hao-air-1", u => u.Status == HealthStatus.Offline,
            () => { hub.Time.Advance(TimeSpan.FromMinutes(3)); return Task.CompletedTask; });
        Assert.Contains(offline.Metrics, m => m.Metric == "pm25" && m.Status == HealthStatus.Offline);

        var locality = await withdrawn;
        Assert.Equal(0, locality.Units.Ok + locality.Units.Warning + locality.Units.Critical + locality.Units.BelowTarget);
    }
}
