namespace Ioc.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class UnitGrainTests(GrainCluster hub)
{
    private DateTimeOffset Now => hub.Time.GetUtcNow();

    /// <summary>Reports <paramref name="points"/> from <paramref name="unit"/>, stamped now; the unit's status and each point's metric's, in order.</summary>
    private async Task<(HealthStatus Unit, HealthStatus[] Metrics)> Judge(string unit, params (string Metric, double Value)[] points)
    {
        var grain = hub.Client.GetGrain<IUnitGrain>(unit);
        await grain.Report([.. points.Select(p => new MetricPoint(p.Metric, p.Value, Now))]);
        var snapshot = await grain.GetSnapshot();
        return (snapshot.Status, [.. points.Select(p => snapshot.Metrics.Single(m => m.Metric == p.Metric).Status)]);
    }

    [Fact]
    public async Task Latest_means_the_newest_timestamp_not_the_last_point_to_arrive()
    {
        var unit = hub.Client.GetGrain<IUnitGrain>("kim-dong-water-1");
        await unit.Report([new MetricPoint("water-level", 2.4, Now)]);
        await unit.Report([new MetricPoint("water-level", 1.1, Now.AddSeconds(-30))]);

        var snapshot = await unit.GetSnapshot();
        var level = Assert.Single(snapshot.Metrics, m => m.Metric == "water-level");
        Assert.Equal(2.4, level.Value);
        Assert.Equal(Now, level.Timestamp);
        Assert.Equal(Now, snapshot.LastReport);
    }

    [Fact]
    public async Task A_reading_past_the_critical_threshold_makes_the_unit_critical()
    {
        var (unit, metrics) = await Judge("an-thi-air-1", ("pm25", 80), ("aqi", 90));
        Assert.Equal(HealthStatus.Critical, unit);
        Assert.Equal([HealthStatus.Critical, HealthStatus.Ok], metrics);
    }

    [Fact]
    public async Task A_digital_transformation_budget_under_one_percent_is_below_target()
    {
        var (unit, metrics) = await Judge("phu-cu-ubnd", ("dt-budget-share", 0.7), ("it-officials", 2));
        Assert.Equal(HealthStatus.BelowTarget, unit);
        Assert.Equal([HealthStatus.BelowTarget, HealthStatus.Ok], metrics);
    }

    [Fact]
    public async Task A_unit_that_never_reported_is_offline()
    {
        var snapshot = await hub.Client.GetGrain<IUnitGrain>("tien-lu-camera-1").GetSnapshot();
        Assert.Equal(HealthStatus.Offline, snapshot.Status);
        Assert.Null(snapshot.LastReport);
    }
}
