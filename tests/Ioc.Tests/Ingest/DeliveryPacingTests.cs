using System.Diagnostics;
using Ioc.Ingest.Telemetry;

namespace Ioc.Tests.Ingest;

/// <summary>
/// The live path's interval between two deliveries to a unit: the shortest while deliveries are answered at once,
/// growing towards the longest while they wait for their turn, and back. Fed with delivery times, not timed.
/// </summary>
public sealed class DeliveryPacingTests
{
    private static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    // One window after another from a fixed start, each with the deliveries it saw.
    private static void Windows(DeliveryPacing pacing, ref long now, int windows, params TimeSpan[] took)
    {
        for (var w = 0; w < windows; w++)
        {
            foreach (var t in took)
                pacing.Took(Ticks(t));
            now += Ticks(Window);
            pacing.Update(now);
        }
    }

    [Fact]
    public void Deliveries_answered_at_once_keep_the_shortest_interval()
    {
        var pacing = new DeliveryPacing(Shortest, Longest, Window);
        long now = 0;
        Windows(pacing, ref now, 20, TimeSpan.FromMilliseconds(0.2), TimeSpan.FromMilliseconds(1.5));
        Assert.Equal(Ticks(Shortest), pacing.IntervalTicks);
    }

    [Fact]
    public void Deliveries_that_wait_stretch_the_interval_to_the_longest_and_no_further()
    {
        var pacing = new DeliveryPacing(Shortest, Longest, Window);
        long now = 0;
        Windows(pacing, ref now, 1, TimeSpan.FromMilliseconds(8));
        // Halfway from 25 ms towards ten times 8 ms in one window, not all the way.
        Assert.Equal((double)(Ticks(Shortest) + 10 * Ticks(TimeSpan.FromMilliseconds(8))) / 2, pacing.IntervalTicks, 1.0);

        Windows(pacing, ref now, 30, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1));
        Assert.Equal(Ticks(Longest), pacing.IntervalTicks);
    }

    [Fact]
    public void The_interval_comes_back_down_when_deliveries_are_answered_at_once_again()
    {
        var pacing = new DeliveryPacing(Shortest, Longest, Window);
        long now = 0;
        Windows(pacing, ref now, 30, TimeSpan.FromMilliseconds(20));
        Assert.Equal(Ticks(Longest), pacing.IntervalTicks);

        Windows(pacing, ref now, 30, TimeSpan.FromMilliseconds(0.5));
        Assert.Equal(Ticks(Shortest), pacing.IntervalTicks);
    }

    [Fact]
    public void A_window_without_deliveries_or_not_yet_over_leaves_the_interval_as_it_is()
    {
        var pacing = new DeliveryPacing(Shortest, Longest, Window);
        long now = 0;
        Windows(pacing, ref now, 30, TimeSpan.FromMilliseconds(20));
        var stretched = pacing.IntervalTicks;

        // No delivery ended: nothing is known of how long they take now.
        Windows(pacing, ref now, 5);
        Assert.Equal(stretched, pacing.IntervalTicks);

        // Fast deliveries, but the window is not over yet: they count at its end.
        pacing.Took(Ticks(TimeSpan.FromMilliseconds(0.1)));
        pacing.Update(now + Ticks(Window) / 2);
        Assert.Equal(stretched, pacing.IntervalTicks);
        pacing.Update(now + Ticks(Window));
        Assert.True(pacing.IntervalTicks < stretched);
    }

    [Fact]
    public void A_longest_interval_not_above_the_shortest_is_a_fixed_interval()
    {
        var pacing = new DeliveryPacing(TimeSpan.FromSeconds(5), Longest, Window);
        long now = 0;
        Windows(pacing, ref now, 10, TimeSpan.FromSeconds(2));
        Assert.Equal(Ticks(TimeSpan.FromSeconds(5)), pacing.IntervalTicks);

        var none = new DeliveryPacing(TimeSpan.Zero, TimeSpan.Zero, Window);
        Windows(none, ref now, 10, TimeSpan.FromSeconds(2));
        Assert.Equal(0, none.IntervalTicks);
    }
}
