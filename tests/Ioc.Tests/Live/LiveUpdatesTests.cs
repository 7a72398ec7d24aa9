namespace Ioc.Tests.Live;

public sealed class LiveUpdatesTests
{
    [Fact]
    public void Merging_contiguous_updates_covers_both_ranges_and_keeps_the_later_value_per_metric()
    {
        var merged = LiveUpdates.Merge(Air(5, ("pm25", 30), ("aqi", 80)), Air(6, ("pm25", 41)));

        Assert.Equal((5, 6), (merged.FromSequence, merged.Sequence));
        Assert.Equal(41, merged.Metrics.Single(m => m.Metric == "pm25").Value);
        Assert.Equal(80, merged.Metrics.Single(m => m.Metric == "aqi").Value);
    }

    [Fact]
    public void Merging_updates_that_arrived_out_of_order_gives_the_same_result()
    {
        var merged = LiveUpdates.Merge(Air(6, ("pm25", 41)), Air(5, ("pm25", 30)));

        Assert.Equal((5, 6), (merged.FromSequence, merged.Sequence));
        Assert.Equal(41, merged.Metrics.Single().Value);
    }

    [Fact]
    public void Merging_across_a_sequence_gap_starts_after_the_gap_so_that_a_screen_resynchronises()
    {
        var merged = LiveUpdates.Merge(Air(5, ("pm25", 30)), Air(9_000_001, ("pm25", 41)));

        Assert.Equal((9_000_001, 9_000_001), (merged.FromSequence, merged.Sequence));
    }

    [Fact]
    public void Merging_long_child_lists_keeps_each_child_once_with_its_later_status()
    {
        // A locality of a province names thousands of children a second; the earlier update holds 2,000 of them,
        // the later one every third of them again, as unit reports crossing a push interval do.
        var earlier = Locality(1, Enumerable.Range(0, 2_000).Select(i => new ChildStatus($"unit-{i}", HealthStatus.Ok, null)));
        var later = Locality(2, Enumerable.Range(0, 2_000).Where(i => i % 3 == 0).Select(i => new ChildStatus($"unit-{i}", HealthStatus.Critical, null)));

        var merged = LiveUpdates.Merge(earlier, later);

        Assert.Equal(2_000, merged.Children.Length);
        Assert.Equal(2_000, merged.Children.Select(c => c.Id).Distinct().Count());
        Assert.All(merged.Children, c => Assert.Equal(int.Parse(c.Id["unit-".Length..]) % 3 == 0 ? HealthStatus.Critical : HealthStatus.Ok, c.Status));
    }

    private static EntityUpdate Locality(long sequence, IEnumerable<ChildStatus> children) =>
        new("van-lam", sequence, sequence, HealthStatus.Ok, null, [], [], StatusCounts.Of(HealthStatus.Ok), [.. children]);

    /// <summary>An update of one air station, as its unit grain would publish it.</summary>
    private static EntityUpdate Air(long sequence, params (string Metric, double Value)[] values) =>
        PushPathTests.Update("van-lam-air-1", sequence, values);
}
