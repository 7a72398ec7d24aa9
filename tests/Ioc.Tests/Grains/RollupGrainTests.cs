namespace Ioc.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class RollupGrainTests(GrainCluster hub)
{
    private DateTimeOffset Now => hub.Time.GetUtcNow();

    private Task Report(string unit, string metric, double value) =>
        hub.Client.GetGrain<IUnitGrain>(unit).Report([new MetricPoint(metric, value, Now)]);

    [Fact]
    public async Task A_locality_counts_its_units_by_status_and_silent_units_count_as_offline()
    {
        var units = hub.Catalog.UnitsUnder("van-giang");
        var update = await hub.Feed.WaitFor("van-giang",
            u => u.Units.Critical == 1,
            () => Report("van-giang-water-1", "water-level", 5.2));

        Assert.Equal(units.Count, update.Units.Total);
        Assert.Equal(HealthStatus.Critical, update.Status);
        var snapshot = await hub.Client.GetGrain<ILocalityGrain>("van-giang").GetSnapshot();
        Assert.Equal(HealthStatus.Critical, snapshot.Children.Single(c => c.Id == "van-giang-water-1").Status);
        Assert.Equal(5.2, snapshot.Rollups.Single(r => r.Metric == "water-level").Value);
    }

    [Fact]
    public async Task A_burst_of_ten_thousand_points_into_one_district_sends_few_reports_up_and_the_last_value_arrives()
    {
        const int burst = 10_000;
        var unit = hub.Client.GetGrain<IUnitGrain>("van-lam-traffic-1");
        var before = await unit.GetSnapshot();
        var start = Now;

        var arrived = hub.Feed.WaitFor("van-lam", u => u.Rollups.Any(r => r.Metric == "vehicle-count" && r.Value == burst));
        await Task.WhenAll(Enumerable.Range(1, burst)
            .Select(i => unit.Report([new MetricPoint("vehicle-count", i, start.AddTicks(i))])));
        await arrived;

        // Each sequence step of the unit is one report to each of its parents. How many points share a report
        // depends on how fast the parents answer, so the bound is loose: well under one report per point.
        var reportsUp = (await unit.GetSnapshot()).Sequence - before.Sequence;
        Assert.InRange(reportsUp, 1, burst / 2);
    }

    [Fact]
    public async Task A_locality_that_reactivates_gets_its_roll_ups_back_from_its_units_without_waiting_for_new_reports()
    {
        var locality = hub.Client.GetGrain<ILocalityGrain>("kim-dong");
        await hub.Feed.WaitFor("kim-dong", u => u.Rollups.Any(r => r.Metric == "aqi" && r.Value == 77),
            () => Report("kim-dong-air-1", "aqi", 77));
        var before = await locality.GetSnapshot();

        await hub.Cluster.DeactivateAsync(locality);
        // A new activation numbers its updates from the wall clock's milliseconds × 1000 as it starts (UpdatePump), so an
        // update numbered above that is the new activation speaking. Above the old snapshot's number is not enough: the
        // old activation may have had an update pending as the snapshot was taken, sent as it deactivated.
        var deactivated = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var restored = await hub.Feed.WaitFor("kim-dong",
            u => u.Sequence > deactivated && u.Rollups.Any(r => r.Metric == "aqi" && r.Value == 77),
            () => locality.GetSnapshot());

        var after = await locality.GetSnapshot();
        Assert.Equal(77, after.Rollups.Single(r => r.Metric == "aqi").Value);
        Assert.Equal(before.Units, after.Units);
        Assert.True(restored.Sequence > before.Sequence);
    }
}
