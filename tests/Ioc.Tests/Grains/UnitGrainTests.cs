namespace Ioc.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class UnitGrainTests(GrainCluster hub)
{
    private DateTimeOffset Now => hub.Time.GetUtcNow();

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
        var unit = hub.Client.GetGrain<IUnitGrain>("an-thi-air-1");
        await unit.Report([new MetricPoint("pm25", 80, Now), new MetricPoint("aqi", 90, Now)]);

        var snapshot = await unit.GetSnapshot();
        Assert.Equal(HealthStatus.Critical, snapshot.Status);
        Assert.Equal(HealthStatus.Critical, snapshot.Metrics.Single(m => m.Metric == "pm25").Status);
        Assert.Equal(HealthStatus.Ok, snapshot.Metrics.Single(m => m.Metric == "aqi").Status);
    }

    [Fact]
    public async Task A_digital_transformation_budget_under_one_percent_is_below_target()
    {
        var unit = hub.Client.GetGrain<IUnitGrain>("phu-cu-ubnd");
        await unit.Report([new MetricPoint("dt-budget-share", 0.7, Now), new MetricPoint("it-officials", 2, Now)]);

        var snapshot = await unit.GetSnapshot();
        Assert.Equal(HealthStatus.BelowTarget, snapshot.Status);
        Assert.Equal(HealthStatus.BelowTarget, snapshot.Metrics.Single(m => m.Metric == "dt-budget-share").Status);
        Assert.Equal(HealthStatus.Ok, snapshot.Metrics.Single(m => m.Metric == "it-officials").Status);
    }

    [Fact]
    public async Task A_unit_that_never_reported_is_offline()
    {
        var snapshot = await hub.Client.GetGrain<IUnitGrain>("tien-lu-camera-1").GetSnapshot();
        Assert.Equal(HealthStatus.Offline, snapshot.Status);
        Assert.Null(snapshot.LastReport);
    }
}
