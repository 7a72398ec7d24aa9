using System.ComponentModel.DataAnnotations;

namespace Ioc.Gateway;

/// <summary>Settings of the live push to screens (section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Gateway";

    /// <summary>Under load, a screen gets at most one frame per interval, holding the latest value per entity and metric.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A screen that takes longer than this to accept a frame is cut off and left to reconnect.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most entities one connection may watch.</summary>
    [Range(1, 100_000)] public int MaxSubscriptionsPerConnection { get; set; } = 2_000;
}
