namespace Ioc.Tests.Targets;

/// <summary>Per-entity overrides of targets and thresholds: most specific wins, applied live, audited.</summary>
[Collection(TargetsCluster.Name)]
public sealed class OverrideTests(TargetsClusterFixture fixture)
{
    private HubCluster Hub => fixture.Cluster;
    private ITargetsGrain Targets => Hub.Client.GetGrain<ITargetsGrain>(0);

    private static TargetSetting AtLeast(double value) => new(new Target(TargetDirection.AtLeast, value), null);

    [Fact]
    public async Task A_locality_override_applies_live_to_its_units_and_a_units_own_override_wins_over_it()
    {
        var kimDong = Hub.Client.GetGrain<IUnitGrain>("kim-dong-ubnd");
        var khoaiChau = Hub.Client.GetGrain<IUnitGrain>("khoai-chau-ubnd");
        await Hub.Report("kim-dong-ubnd", ("it-officials", 2));
        await Hub.Report("khoai-chau-ubnd", ("it-officials", 2));
        var before = Hub.Feed.Mark();

        await Targets.Set("kim-dong", "it-officials", AtLeast(3), "admin", null);

        // The change has reached the unit by the time Set returns; the roll-up follows on the live path.
        Assert.Equal(1, (await kimDong.GetSnapshot()).BelowTarget);
        Assert.Equal(HealthStatus.BelowTarget, (await kimDong.GetSnapshot()).Metrics.Single(m => m.Metric == "it-officials").Status);
        await Hub.Feed.Update(u => u.Id == "kim-dong" && u.BelowTarget == 1, before);
        Assert.Equal(0, (await khoaiChau.GetSnapshot()).BelowTarget);
        Assert.Equal("kim-dong", (await Targets.Resolve("kim-dong-ubnd", "it-officials")).TargetFrom);

        await Targets.Set("kim-dong-ubnd", "it-officials", AtLeast(2), "admin", null);
        Assert.Equal(0, (await kimDong.GetSnapshot()).BelowTarget);
        var inForce = await Targets.Resolve("kim-dong-ubnd", "it-officials");
        Assert.Equal((new Target(TargetDirection.AtLeast, 2), "kim-dong-ubnd"), (inForce.Target, inForce.TargetFrom));

        await Targets.Clear("kim-dong-ubnd", "it-officials", "admin", null);
        Assert.Equal(1, (await kimDong.GetSnapshot()).BelowTarget);
        await Targets.Clear("kim-dong", "it-officials", "admin", null);
        Assert.Equal(0, (await kimDong.GetSnapshot()).BelowTarget);
        Assert.Null((await Targets.Resolve("kim-dong-ubnd", "it-officials")).TargetFrom);
    }

    [Fact]
    public async Task Thresholds_overridden_on_a_project_judge_its_sensors_while_the_target_is_still_inherited()
    {
        var sensor = Hub.Client.GetGrain<IUnitGrain>("tx-my-hao-air-1");
        await Hub.Report("tx-my-hao-air-1", ("pm25", 45));
        Assert.Equal(HealthStatus.Ok, (await sensor.GetSnapshot()).Status);

        await Targets.Set("dtm-tx-my-hao", "pm25", new TargetSetting(null, new Thresholds(TargetDirection.AtMost, 40, 60)), "admin", null);

        Assert.Equal(HealthStatus.Warning, (await sensor.GetSnapshot()).Status);
        var inForce = await Targets.Resolve("tx-my-hao-air-1", "pm25");
        Assert.Equal(("dtm-tx-my-hao", (string?)null, (Target?)null), (inForce.ThresholdsFrom, inForce.TargetFrom, inForce.Target));
        await Targets.Clear("dtm-tx-my-hao", "pm25", "admin", null);
        Assert.Equal(HealthStatus.Ok, (await sensor.GetSnapshot()).Status);
    }

    [Fact]
    public async Task Every_target_change_is_audited_with_who_when_and_what_was_in_force_before_and_after()
    {
        var catalogTarget = new TargetSetting(new Target(TargetDirection.AtLeast, 1.0), null);

        var set = await Targets.Set("tien-lu", "dt-budget-share", AtLeast(1.5), "Nguyễn Văn An", "admin-7");
        var setAt = Hub.Time.GetUtcNow();
        await Hub.Advance(TimeSpan.FromMinutes(5));
        var cleared = await Targets.Clear("tien-lu", "dt-budget-share", "Phạm Thị Bình", "admin-9");

        Assert.Equal(
            new TargetChange(set.Version, setAt, "Nguyễn Văn An", "admin-7", "tien-lu", "dt-budget-share", TargetChangeKind.Set, catalogTarget, AtLeast(1.5)),
            set);
        Assert.Equal(
            new TargetChange(set.Version + 1, setAt.AddMinutes(5), "Phạm Thị Bình", "admin-9", "tien-lu", "dt-budget-share", TargetChangeKind.Cleared, AtLeast(1.5), catalogTarget),
            cleared);
        var audit = await Targets.GetAudit();
        Assert.Equal([cleared, set], audit.Take(2));
        Assert.DoesNotContain(await Targets.GetOverrides(), o => o.Entity == "tien-lu");
    }

    [Fact]
    public async Task Clearing_where_there_is_no_override_changes_and_audits_nothing()
    {
        var audit = await Targets.GetAudit();
        Assert.Null(await Targets.Clear("yen-my", "online-payment-share", "admin", null));
        Assert.Equal(audit.Length, (await Targets.GetAudit()).Length);
    }
}
