using Ioc.Gateway;

namespace Ioc.Tests.Live;

/// <summary>How long a busy screen waits between frames, by how many screens share the process.</summary>
public sealed class PushIntervalTests
{
    [Theory]
    [InlineData(1, 25)]
    [InlineData(100, 25)]
    [InlineData(250, 25)]
    [InlineData(500, 50)]
    [InlineData(1_000, 100)]
    [InlineData(5_000, 100)]
    public void A_few_screens_get_the_shortest_interval_and_many_share_the_frame_budget_up_to_the_longest(int screens, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), new LivePushOptions().IntervalFor(screens));

    [Fact]
    public void A_configured_push_interval_below_the_minimum_is_kept()
    {
        var options = new LivePushOptions { PushInterval = TimeSpan.FromMilliseconds(10) };
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.IntervalFor(1));
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.IntervalFor(100_000));
    }
}
