using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>A scope's roll-ups without a silo: children's partials combined over its sources, once per send, cleared when none is left.</summary>
public sealed class RollupBookTests
{
    private const string Metric = "pm25";
    private static readonly DateTimeOffset Epoch = new(2026, 11, 10, 3, 0, 0, TimeSpan.Zero);

    private static RollupKind? Average(string metric) => metric == Metric ? RollupKind.Average : null;

    // A child's partial: a unit's value, or nothing from it (withdrawn).
    private static readonly Gen<MetricPartial> Partial = Gen.Select(Gen.Int[-1, 200], Gen.Int[0, 20], (v, t) =>
        v < 0 ? MetricPartial.Empty(Metric) : MetricPartial.Of(Metric, v * 0.5, Epoch.AddMinutes(t)));

    [Fact]
    public void The_roll_up_is_the_same_whatever_order_and_how_often_children_report() =>
        Gen.Select(Partial.Array[6], Gen.Int[0, 5].Array[0, 20], Gen.Int[0, int.MaxValue]).Sample(t =>
        {
            var (finals, earlier, seed) = t;
            var inOrder = new RollupBook(6, [0, 1, 2, 3, 4, 5]);
            for (var c = 0; c < finals.Length; c++)
                inOrder.Take(c, finals[c]);

            // The same last partial per child, after earlier ones, arriving in another order.
            var shuffled = new RollupBook(6, [0, 1, 2, 3, 4, 5]);
            foreach (var c in earlier)
                shuffled.Take(c, MetricPartial.Of(Metric, 1000, Epoch));
            foreach (var c in Enumerable.Range(0, 6).OrderBy(c => HashCode.Combine(seed, c)))
                shuffled.Take(c, finals[c]);

            Assert.Equal(inOrder.TakeChanges(Average), shuffled.TakeChanges(Average));
        });

    [Fact]
    public void Only_the_sources_count_and_a_metric_is_sent_once_per_send()
    {
        // Children 0 and 1 are localities (sources); child 2 is a project overlapping them.
        var book = new RollupBook(3, [0, 1]);
        book.Take(0, MetricPartial.Of(Metric, 10, Epoch));
        book.Take(0, MetricPartial.Of(Metric, 20, Epoch));
        book.Take(1, MetricPartial.Of(Metric, 40, Epoch.AddMinutes(1)));
        book.Take(2, MetricPartial.Of(Metric, 1000, Epoch));

        var change = Assert.Single(book.TakeChanges(Average));
        Assert.Equal((Metric, (double?)30.0, 2, false), (change.Metric, change.Value, change.Combined.Count, change.Cleared));
        Assert.Empty(book.TakeChanges(Average));
        book.MarkAllChanged();
        Assert.Equal(change, Assert.Single(book.TakeChanges(Average)));
    }

    [Fact]
    public void A_roll_up_left_with_no_contribution_is_cleared_once()
    {
        var book = new RollupBook(2, [0, 1]);
        book.Take(0, MetricPartial.Of(Metric, 10, Epoch));
        Assert.False(Assert.Single(book.TakeChanges(Average)).Cleared);

        book.Take(0, MetricPartial.Empty(Metric));
        var cleared = Assert.Single(book.TakeChanges(Average));
        Assert.Equal((MetricPartial.Empty(Metric), (double?)null, true), (cleared.Combined, cleared.Value, cleared.Cleared));

        book.MarkAllChanged();
        Assert.False(Assert.Single(book.TakeChanges(Average)).Cleared);
    }

    [Fact]
    public void A_metric_the_catalog_no_longer_has_still_goes_up_but_shows_no_value()
    {
        var book = new RollupBook(1, [0]);
        book.Take(0, MetricPartial.Of("retired", 5, Epoch));
        var change = Assert.Single(book.TakeChanges(Average));
        Assert.Equal((1, (double?)null, false), (change.Combined.Count, change.Value, change.Cleared));
    }
}
