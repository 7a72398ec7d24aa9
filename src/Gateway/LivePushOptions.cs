using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;

namespace Ioc.Gateway;

/// <summary>Settings of the live push to screens (section <c>Gateway</c>).</summary>
/// <remarks>
/// Not named after the section: Orleans has a <c>GatewayOptions</c> of its own (a client's gateway list). The
/// section keeps its name, since a section that binds nothing is not refused the way a misspelt key is, and
/// every deployment's <c>Gateway__*</c> settings would quietly stop applying.
/// </remarks>
public sealed class LivePushOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>
    /// Under load, a screen gets at most one frame per interval, holding the latest value per entity and
    /// metric. This is the longest interval, reached when many screens share the process (see
    /// <see cref="FramesPerSecond"/>).
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:10")] public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest interval between two frames to a busy screen, used while few screens are connected.</summary>
    [TimeSpanRange("00:00:00", "00:00:10")] public TimeSpan MinPushInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Frames per second this process aims to send at most to busy screens together. With n screens
    /// connected the interval is n ÷ this, kept between <see cref="MinPushInterval"/> and
    /// <see cref="PushInterval"/>: a handful of screens see changes within 25 ms, a thousand share the
    /// CPU at one frame per 100 ms each.
    /// </summary>
    [Range(1, 1_000_000)] public int FramesPerSecond { get; set; } = 10_000;

    /// <summary>The interval between two frames to a busy screen with <paramref name="screens"/> connected.</summary>
    public TimeSpan IntervalFor(int screens)
    {
        var low = MinPushInterval < PushInterval ? MinPushInterval : PushInterval;
        var share = TimeSpan.FromSeconds((double)screens / FramesPerSecond);
        return share < low ? low : share > PushInterval ? PushInterval : share;
    }

    /// <summary>A screen that takes longer than this to accept a frame is cut off and left to reconnect.</summary>
    [TimeSpanRange("00:00:00.050", "00:05:00")] public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the process, before it reports ready, connects one screen to its own live hub so that the first real
    /// screens do not pay for code run for the first time (see <c>ScreenWarmup</c>).
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Longest the warm-up may take; past it the process is ready anyway.</summary>
    [TimeSpanRange("00:00:01", "00:10:00")] public TimeSpan WarmUpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most entities one connection may watch.</summary>
    [Range(1, 100_000)] public int MaxSubscriptionsPerConnection { get; set; } = 2_000;
}
