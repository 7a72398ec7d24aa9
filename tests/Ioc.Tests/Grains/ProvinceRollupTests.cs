namespace Ioc.Tests.Grains;

// Its own cluster, so that the province's and the project's roll-ups hold only what these tests report.
public sealed class ProvinceRollupTests(GrainCluster hub) : IClassFixture<GrainCluster>
{
    private DateTimeOffset Now => hub.Time.GetUtcNow();

    private Task Report(string unit, string metric, double value) =>
        hub.Client.GetGrain<IUnitGrain>(unit).Report([new MetricPoint(metric, value, Now)]);

    [Fact]
    public async Task The_province_averages_pm25_over_every_air_station_it_has_heard_from()
    {
        var update = await hub.Feed.WaitFor("hung-yen",
            u => u.Rollups.Any(r => r.Metric == "pm25" && r.Units == 2 && r.Value == 30),
            async () =>
            {
                await Report("yen-my-air-1", "pm25", 20);
                await Report("khoai-chau-air-1", "pm25", 40);
            });
        Assert.True(update.Sequence >= update.FromSequence);
    }

    [Fact]
    public async Task A_project_sums_vehicle_counts_across_the_localities_it_spans()
    {
        var units = hub.Catalog.UnitsUnder("ioc").Where(u => hub.Catalog.Entity(u).Metrics.Contains("vehicle-count")).ToList();
        Assert.True(units.Count >= 10);
        await hub.Feed.WaitFor("ioc",
            u => u.Rollups.Any(r => r.Metric == "vehicle-count" && r.Units == units.Count && r.Value == 10 * units.Count),
            () => Task.WhenAll(units.Select(u => Report(u, "vehicle-count", 10))));
    }
}
