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

    /// <summary>An update of one air station, as its unit grain would publish it.</summary>
    private static EntityUpdate Air(long sequence, params (string Metric, double Value)[] values) =>
        PushPathTests.Update("van-lam-air-1", sequence, values);
}
