using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>Judging a value against its target and thresholds, and resolving the overrides in force, without a silo.</summary>
public sealed class JudgingRulesTests
{
    private static readonly Thresholds Pm25 = new(TargetDirection.AtMost, Warning: 50, Critical: 100);
    private static readonly Thresholds CameraOnline = new(TargetDirection.AtLeast, Warning: 0.9, Critical: 0.7);

    [Theory]
    [InlineData(TargetDirection.AtLeast, 1.0, 0.99, true)]
    [InlineData(TargetDirection.AtLeast, 1.0, 1.0, false)]
    [InlineData(TargetDirection.AtMost, 50, 50, false)]
    [InlineData(TargetDirection.AtMost, 50, 50.1, true)]
    public void A_target_is_missed_only_on_its_wrong_side_and_met_exactly_at_it(TargetDirection direction, double target, double value, bool missed) =>
        Assert.Equal(missed, new Target(direction, target).IsMissedBy(value));

    [Fact]
    public void The_gap_to_a_target_is_what_a_supervisor_would_write() =>
        Assert.Equal((0.2, 12.5), (new Target(TargetDirection.AtLeast, 1.0).GapTo(0.8), new Target(TargetDirection.AtMost, 50).GapTo(62.5)));

    [Theory]
    [InlineData(49.9, HealthStatus.Ok)]
    [InlineData(50.1, HealthStatus.Warning)]
    [InlineData(100, HealthStatus.Warning)]
    [InlineData(100.1, HealthStatus.Critical)]
    public void Values_above_a_ceiling_threshold_breach_it(double value, HealthStatus status) => Assert.Equal(status, Pm25.Classify(value));

    [Theory]
    [InlineData(0.95, HealthStatus.Ok)]
    [InlineData(0.8, HealthStatus.Warning)]
    [InlineData(0.5, HealthStatus.Critical)]
    public void Values_below_a_floor_threshold_breach_it(double value, HealthStatus status) => Assert.Equal(status, CameraOnline.Classify(value));

    [Fact]
    public void A_threshold_breach_outranks_a_missed_target_and_a_missed_target_outranks_ok()
    {
        var rule = new MetricRule("camera-online", new Target(TargetDirection.AtLeast, 0.99), CameraOnline);
        Assert.Equal((HealthStatus.Warning, HealthStatus.BelowTarget, HealthStatus.Ok), (rule.Classify(0.8), rule.Classify(0.95), rule.Classify(1.0)));
        Assert.True(rule.IsBelowTarget(0.8), "low achievement is judged whatever the thresholds say");
    }

    [Fact]
    public void A_metric_with_no_target_and_no_thresholds_is_always_ok() =>
        Gen.Double[-1e9, 1e9].Sample(v => Assert.Equal(HealthStatus.Ok, new MetricRule("m", null, null).Classify(v)));

    [Fact]
    public void With_nothing_held_the_clear_margin_changes_no_judgement() =>
        Gen.Select(Gen.Double[0, 200], Gen.Double[0, 0.5]).Sample(t =>
            Assert.Equal(Pm25.Classify(t.Item1), Pm25.Classify(t.Item1, HealthStatus.Ok, t.Item2)));

    [Fact]
    public void A_breach_already_held_is_never_judged_milder_than_a_fresh_look_at_the_same_value() =>
        Gen.Select(Gen.Double[0, 200], Gen.Double[0, 0.5], Gen.Enum<HealthStatus>()).Sample(t =>
        {
            var (value, margin, held) = t;
            Assert.True(Pm25.Classify(value, held, margin) >= Pm25.Classify(value));
            Assert.True(CameraOnline.Classify(value / 200, held, margin) >= CameraOnline.Classify(value / 200));
        });

    [Fact]
    public void A_held_breach_clears_only_once_the_value_is_back_inside_by_the_margin()
    {
        Assert.Equal(AlertSeverity.Warning, AlertRules.Breach(Pm25, 48, AlertSeverity.Warning, 0.05));
        Assert.Null(AlertRules.Breach(Pm25, 47.4, AlertSeverity.Warning, 0.05));
        Assert.Null(AlertRules.Breach(Pm25, 48, held: null, 0.05));
        Assert.Equal(AlertSeverity.Critical, AlertRules.Breach(Pm25, 96, AlertSeverity.Critical, 0.05));
        Assert.Equal(AlertSeverity.Warning, AlertRules.Breach(Pm25, 94, AlertSeverity.Critical, 0.05));
    }

    [Fact]
    public void Thresholds_that_could_never_be_told_apart_are_refused_with_the_reason()
    {
        Assert.Null(Pm25.Problem());
        Assert.Contains("at least one", new Thresholds(TargetDirection.AtMost, null, null).Problem());
        Assert.Contains("critical must not be below warning", new Thresholds(TargetDirection.AtMost, 100, 50).Problem());
        Assert.Contains("critical must not be above warning", new Thresholds(TargetDirection.AtLeast, 0.7, 0.9).Problem());
        Assert.Contains("finite", new Thresholds(TargetDirection.AtMost, double.NaN, null).Problem());
    }

    [Fact]
    public void A_stale_value_shows_offline_counts_as_no_low_achievement_and_contributes_nothing()
    {
        var rule = new MetricRule("dt-budget-share", new Target(TargetDirection.AtLeast, 1.0), null);
        Assert.Equal((HealthStatus.BelowTarget, HealthStatus.Offline), (Judging.StatusOf(rule, 0.8, stale: false), Judging.StatusOf(rule, 0.8, stale: true)));
        Assert.Equal((true, false), (Judging.IsLowAchievement(rule, 0.8, stale: false), Judging.IsLowAchievement(rule, 0.8, stale: true)));
        Assert.Equal((true, false), (Judging.Contributes(HealthStatus.BelowTarget, stale: false), Judging.Contributes(HealthStatus.BelowTarget, stale: true)));
        Assert.False(Judging.Contributes(HealthStatus.Offline, stale: false), "an offline unit's values leave the roll-ups");
    }

    [Fact]
    public void The_worse_of_statuses_is_their_maximum_whatever_the_order() =>
        Gen.Enum<HealthStatus>().Array[0, 6].Sample(statuses =>
        {
            var folded = statuses.Aggregate(HealthStatus.Ok, Judging.Worse);
            Assert.Equal(statuses.Length == 0 ? HealthStatus.Ok : statuses.Max(), folded);
            Assert.Equal(folded, statuses.Reverse().Aggregate(HealthStatus.Ok, Judging.Worse));
        });

    private static readonly Target CatalogTarget = new(TargetDirection.AtLeast, 1.0);
    private static readonly Thresholds CatalogThresholds = new(TargetDirection.AtLeast, 0.5, 0.2);

    [Fact]
    public void With_no_override_the_catalog_rule_is_in_force_and_comes_from_nowhere()
    {
        var inForce = OverrideResolution.Resolve(CatalogTarget, CatalogThresholds, ["unit", "locality", "province"], Overrides([]));
        Assert.Equal(new RuleInForce(CatalogTarget, null, CatalogThresholds, null), inForce);
    }

    [Fact]
    public void Target_and_thresholds_each_come_from_the_nearest_entity_that_overrides_them()
    {
        var unitTarget = new Target(TargetDirection.AtLeast, 2);
        var provinceThresholds = new Thresholds(TargetDirection.AtLeast, 0.6, 0.3);
        var inForce = OverrideResolution.Resolve(CatalogTarget, CatalogThresholds, ["unit", "locality", "province"], Overrides(new()
        {
            ["unit"] = (unitTarget, null),
            ["locality"] = (new Target(TargetDirection.AtLeast, 3), null),
            ["province"] = (new Target(TargetDirection.AtLeast, 4), provinceThresholds),
        }));
        Assert.Equal(new RuleInForce(unitTarget, "unit", provinceThresholds, "province"), inForce);
    }

    [Fact]
    public void Resolution_picks_the_nearest_override_up_any_chain() =>
        Gen.Int[0, 3].Array[1, 8].Sample(kinds =>
        {
            // Per entity along the chain: 0 no override, 1 a target, 2 thresholds, 3 both.
            var chain = kinds.Select((_, i) => $"e{i}").ToArray();
            var set = new Dictionary<string, (Target?, Thresholds?)>();
            for (var i = 0; i < kinds.Length; i++)
                if (kinds[i] != 0)
                    set[chain[i]] = ((kinds[i] & 1) != 0 ? new Target(TargetDirection.AtLeast, i) : null,
                        (kinds[i] & 2) != 0 ? new Thresholds(TargetDirection.AtMost, i, null) : null);
            var inForce = OverrideResolution.Resolve(CatalogTarget, CatalogThresholds, chain, Overrides(set));

            var nearestTarget = Array.FindIndex(kinds, k => (k & 1) != 0);
            var nearestThresholds = Array.FindIndex(kinds, k => (k & 2) != 0);
            Assert.Equal(nearestTarget < 0 ? CatalogTarget : new Target(TargetDirection.AtLeast, nearestTarget), inForce.Target);
            Assert.Equal(nearestTarget < 0 ? null : chain[nearestTarget], inForce.TargetFrom);
            Assert.Equal(nearestThresholds < 0 ? CatalogThresholds : new Thresholds(TargetDirection.AtMost, nearestThresholds, null), inForce.Thresholds);
            Assert.Equal(nearestThresholds < 0 ? null : chain[nearestThresholds], inForce.ThresholdsFrom);
        });

    [Fact]
    public void A_units_chain_runs_through_its_department_projects_in_order_and_locality_to_the_province() =>
        Assert.Equal(["van-lam-air-1", "so-tt-tt", "ioc", "dtm-tp-hung-yen", "van-lam", "hung-yen"],
            OverrideResolution.ChainOf("van-lam-air-1", "so-tt-tt", ["ioc", "dtm-tp-hung-yen"], "van-lam", "hung-yen"));

    [Fact]
    public void Any_other_entitys_chain_is_itself_then_the_province_and_the_provinces_is_itself_alone()
    {
        Assert.Equal(["van-lam", "hung-yen"], OverrideResolution.ChainOf("van-lam", null, [], null, "hung-yen"));
        Assert.Equal(["hung-yen"], OverrideResolution.ChainOf("hung-yen", null, [], null, "hung-yen"));
    }

    private static OverrideResolution.OverrideAt Overrides(Dictionary<string, (Target? Target, Thresholds? Thresholds)> set) =>
        (string entity, out Target? target, out Thresholds? thresholds) =>
        {
            var found = set.TryGetValue(entity, out var o);
            (target, thresholds) = o;
            return found;
        };
}
