namespace Ioc.Tests.Targets;

/// <summary>
/// Low achievement as the grains see it: flagged at the unit, counted by every roll-up above it.
/// Each test works in its own locality, so the tests share the cluster without sharing counts.
/// </summary>
[Collection(TargetsCluster.Name)]
public sealed class FlaggingTests(TargetsClusterFixture fixture)
{
    private HubCluster Hub => fixture.Cluster;

    [Fact]
    public async Task A_budget_share_below_one_percent_is_below_target_at_the_unit_and_counted_by_its_locality_its_projects_and_the_province()
    {
        // Other tests on this cluster report too: start from counts that hold all of their reports.
        var province = await Hub.Settled("hung-yen");
        var project = await Hub.Settled("de-an-06");
        var before = Hub.Feed.Mark();

        await Hub.Report("van-giang-ubnd", ("dt-budget-share", 0.8), ("it-officials", 1));

        var unit = await Hub.Client.GetGrain<IUnitGrain>("van-giang-ubnd").GetSnapshot();
        Assert.Equal(1, unit.BelowTarget);
        Assert.Equal(HealthStatus.BelowTarget, unit.Metrics.Single(m => m.Metric == "dt-budget-share").Status);
        Assert.Equal(HealthStatus.Ok, unit.Metrics.Single(m => m.Metric == "it-officials").Status);
        Assert.Equal(HealthStatus.BelowTarget, unit.Status);
        await Hub.Feed.Update(u => u.Id == "van-giang" && u.BelowTarget == 1, before);
        await Hub.Feed.Update(u => u.Id == "de-an-06" && u.BelowTarget == project.BelowTarget + 1, before);
        await Hub.Feed.Update(u => u.Id == "hung-yen" && u.BelowTarget == province.BelowTarget + 1, before);

        var mark = Hub.Feed.Mark();
        await Hub.Report("van-giang-ubnd", ("dt-budget-share", 1.0));

        await Hub.Feed.Update(u => u.Id == "van-giang" && u.BelowTarget == 0, mark);
        Assert.Equal(0, (await Hub.Client.GetGrain<ILocalityGrain>("van-giang").GetSnapshot()).BelowTarget);
    }

    [Fact]
    public async Task A_value_that_a_raised_target_misses_has_been_below_target_since_the_change_and_is_listed_with_its_gap()
    {
        var targets = Hub.Client.GetGrain<ITargetsGrain>(0);
        var unit = Hub.Client.GetGrain<IUnitGrain>("an-thi-ubnd");
        var reported = Hub.Time.GetUtcNow();
        await Hub.Report("an-thi-ubnd", ("online-dossier-share", 55));
        Assert.Empty((await unit.GetStanding()).BelowTarget);

        await Hub.Advance(TimeSpan.FromHours(1));
        var changed = Hub.Time.GetUtcNow();
        await targets.Set("an-thi-ubnd", "online-dossier-share", new TargetSetting(new Target(TargetDirection.AtLeast, 60), null), "Lê Văn Cường", "admin-3");
        await Hub.Report("an-thi-ubnd", ("dt-budget-share", 0.75));

        var standing = await unit.GetStanding();
        var dossiers = standing.BelowTarget.Single(l => l.Metric == "online-dossier-share");
        Assert.Equal(
            new LowAchievement("an-thi-ubnd", "UBND huyện Ân Thi", "an-thi", "Ân Thi", "online-dossier-share",
                "Tỷ lệ hồ sơ giải quyết trực tuyến toàn trình", "%", 55, 60, TargetDirection.AtLeast, 5, changed, reported),
            dossiers);
        var budget = standing.BelowTarget.Single(l => l.Metric == "dt-budget-share");
        Assert.Equal((0.75, 1.0, 0.25, changed), (budget.Value, budget.Target, budget.Gap, budget.Since));

        await targets.Clear("an-thi-ubnd", "online-dossier-share", "Lê Văn Cường", "admin-3");
        Assert.Equal(["dt-budget-share"], (await unit.GetStanding()).BelowTarget.Select(l => l.Metric));
    }
}
