using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>
/// Roll-up arithmetic without a silo: partial aggregates and tallies merge the same whatever the order and
/// grouping of the children, which is what lets a parent merge whatever reports have arrived.
/// </summary>
public sealed class RollupRulesTests
{
    private const string Metric = "pm25";
    private static readonly DateTimeOffset Epoch = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // Halves in a small range add exactly in floating point, so the sum's algebra is checked exactly; a coarse
    // clock makes ties between latest values common.
    private static readonly Gen<MetricPartial> OneValue =
        Gen.Select(Gen.Int[-2000, 2000], Gen.Int[0, 20], (v, t) => MetricPartial.Of(Metric, v * 0.5, Epoch.AddMinutes(t)));

    private static readonly Gen<MetricPartial> Partial = OneValue.Array[1, 6].Select(values => values.Aggregate((a, b) => a.Combine(b)));

    private static readonly Gen<StatusCounts> Counts =
        Gen.Int[0, 1000].Array[5].Select(c => new StatusCounts(c[0], c[1], c[2], c[3], c[4]));

    private static readonly Gen<ScopeTally> Tally = Gen.Select(Counts, Gen.Int[0, 500], Gen.Int[0, 500], Gen.Int[-1, 20],
        (units, below, notReported, t) => new ScopeTally(units, below, notReported, t < 0 ? null : Epoch.AddHours(t)));

    [Fact]
    public void A_single_value_rolls_up_to_itself_under_every_kind()
    {
        var p = MetricPartial.Of(Metric, 42.5, Epoch);
        Assert.All(Enum.GetValues<RollupKind>(), kind => Assert.Equal(42.5, p.ValueOf(kind)));
    }

    [Fact]
    public void Each_kind_reads_its_own_aggregate_of_several_values()
    {
        var p = MetricPartial.Of(Metric, 10, Epoch.AddMinutes(2))
            .Combine(MetricPartial.Of(Metric, 30, Epoch))
            .Combine(MetricPartial.Of(Metric, 20, Epoch.AddMinutes(1)));
        Assert.Equal((60.0, 20.0, 10.0, 30.0, 10.0), (p.ValueOf(RollupKind.Sum), p.ValueOf(RollupKind.Average), p.ValueOf(RollupKind.Min),
            p.ValueOf(RollupKind.Max), p.ValueOf(RollupKind.Latest)));
        Assert.Equal(3, p.Count);
    }

    [Fact]
    public void An_empty_partial_averages_to_nothing_rather_than_zero() =>
        Assert.True(double.IsNaN(MetricPartial.Empty(Metric).ValueOf(RollupKind.Average)));

    [Fact]
    public void Of_two_latest_values_measured_at_the_same_instant_the_larger_wins_in_either_order()
    {
        var (a, b) = (MetricPartial.Of(Metric, 1, Epoch), MetricPartial.Of(Metric, 2, Epoch));
        Assert.Equal(2, a.Combine(b).Last);
        Assert.Equal(2, b.Combine(a).Last);
    }

    [Fact]
    public void Merging_partials_is_associative() =>
        Gen.Select(Partial, Partial, Partial).Sample(t =>
        {
            var (a, b, c) = t;
            Assert.Equal(a.Combine(b).Combine(c), a.Combine(b.Combine(c)));
        });

    [Fact]
    public void Merging_partials_is_commutative() =>
        Gen.Select(Partial, Partial).Sample(t => Assert.Equal(t.Item1.Combine(t.Item2), t.Item2.Combine(t.Item1)));

    [Fact]
    public void The_empty_partial_changes_nothing_it_is_merged_with() =>
        Partial.Sample(p =>
        {
            Assert.Equal(p, MetricPartial.Empty(Metric).Combine(p));
            Assert.Equal(p, p.Combine(MetricPartial.Empty(Metric)));
        });

    [Fact]
    public void Children_merged_in_any_order_and_grouping_give_the_parent_the_same_aggregate() =>
        Gen.Select(Partial.Array[1, 12], Gen.Int.Array[12], Gen.Int[1, 4]).Sample(t =>
        {
            var (children, keys, groupSize) = t;
            var inOrder = children.Aggregate(MetricPartial.Empty(Metric), (acc, p) => acc.Combine(p));
            // Shuffled, then merged as intermediate roll-ups of a few children each, as a locality's roll-up feeds the province's.
            var shuffled = children.Select((p, i) => (p, key: keys[i])).OrderBy(x => x.key).Select(x => x.p).ToArray();
            var grouped = shuffled.Chunk(groupSize)
                .Select(g => g.Aggregate(MetricPartial.Empty(Metric), (acc, p) => acc.Combine(p)))
                .Aggregate(MetricPartial.Empty(Metric), (acc, p) => acc.Combine(p));
            Assert.Equal(inOrder, grouped);
            Assert.All(Enum.GetValues<RollupKind>(), kind => Assert.Equal(inOrder.ValueOf(kind), grouped.ValueOf(kind)));
        });

    [Fact]
    public void Status_counts_add_as_a_commutative_monoid_with_no_units_as_identity() =>
        Gen.Select(Counts, Counts, Counts).Sample(t =>
        {
            AddsAsACommutativeMonoid(t, (x, y) => x + y);
            var (a, b, _) = t;
            Assert.Equal(a.Total + b.Total, (a + b).Total);
        });

    [Fact]
    public void The_worst_of_combined_counts_is_the_worse_of_their_worsts_and_offline_when_no_unit_is_counted()
    {
        Assert.Equal(HealthStatus.Offline, default(StatusCounts).Worst);
        // Offline counts only when no unit stands at anything else, so the property holds among units that report.
        var reporting = Gen.Int[0, 1000].Array[4].Where(c => c.Sum() > 0).Select(c => new StatusCounts(c[0], c[1], c[2], c[3], 0));
        Gen.Select(reporting, reporting).Sample(t =>
        {
            var (a, b) = t;
            Assert.Equal((HealthStatus)Math.Max((int)a.Worst, (int)b.Worst), (a + b).Worst);
        });
    }

    [Fact]
    public void A_unit_counts_once_at_its_own_status() =>
        Assert.All(Enum.GetValues<HealthStatus>(), s =>
        {
            var counts = StatusCounts.Of(s);
            Assert.Equal(1, counts.Total);
            Assert.Equal(s, counts.Worst);
        });

    [Fact]
    public void Scope_tallies_add_in_any_order_and_keep_the_latest_report() =>
        Gen.Select(Tally, Tally, Tally).Sample(t =>
        {
            AddsAsACommutativeMonoid(t, (x, y) => x + y);
            var (a, b, _) = t;
            var reports = new[] { a.LastReport, b.LastReport }.OfType<DateTimeOffset>().ToArray();
            Assert.Equal(reports.Length == 0 ? null : reports.Max(), (a + b).LastReport);
        });

    [Fact]
    public void A_scope_whose_units_have_not_reported_counts_them_offline_with_every_indicator_unreported()
    {
        var tally = ScopeTally.Unheard(units: 4, indicators: 7);
        Assert.Equal((4, 7, HealthStatus.Offline, (DateTimeOffset?)null), (tally.Units.Offline, tally.NotReported, tally.Status, tally.LastReport));
    }

    /// <summary>
    /// The laws of a commutative monoid with <c>default</c> as its identity: what lets a parent add its children's
    /// reports in whatever grouping and order they arrive.
    /// </summary>
    private static void AddsAsACommutativeMonoid<T>((T, T, T) t, Func<T, T, T> add)
    {
        var (a, b, c) = t;
        Assert.Equal(add(add(a, b), c), add(a, add(b, c)));
        Assert.Equal(add(a, b), add(b, a));
        Assert.Equal(a, add(a, default!));
    }
}
