using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using Ioc.Contracts;
using Ioc.TimeSeries;

namespace Ioc.Gateway.History;

/// <summary>Settings of the history API (section <c>History</c>).</summary>
public sealed class HistoryOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "History";

    /// <summary>Most steps one answer may hold.</summary>
    [Range(10, 100_000)] public int MaxSteps { get; set; } = 2_000;

    /// <summary>The range when <c>from</c> is not given.</summary>
    [TimeSpanRange("00:00:01", "3650.00:00:00")] public TimeSpan DefaultRange { get; set; } = TimeSpan.FromHours(24);

    /// <summary>About how many steps the default step gives.</summary>
    [Range(1, 100_000)] public int DefaultSteps { get; set; } = 288;
}

/// <summary>Reads the query string of a history request.</summary>
public static partial class HistoryParameters
{
    /// <summary>A time: ISO 8601 (UTC unless an offset is given) or unix seconds. Null when invalid.</summary>
    public static DateTimeOffset? ParseTime(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return seconds is > -62135596800 and < 253402300799 ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds * 1000)) : null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t)
            ? TruncateToMilliseconds(t.ToUniversalTime()) : null;
    }

    /// <summary>A step: seconds (<c>300</c>), a number with a unit (<c>30s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>, <c>1w</c>) or ISO 8601 (<c>PT5M</c>).</summary>
    public static TimeSpan? ParseStep(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var whole))
            return whole is > 0 and < 10L * 365 * 86400 ? TimeSpan.FromSeconds(whole) : null;
        var match = StepPattern().Match(text);
        if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 1_000_000)
        {
            return match.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                _ => TimeSpan.FromDays(7 * n),
            };
        }
        try
        {
            return text.StartsWith('P') ? XmlConvert.ToTimeSpan(text) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>An aggregate name, case-insensitive.</summary>
    public static HistoryAggregate? ParseAggregate(string text) =>
        Enum.TryParse<HistoryAggregate>(text, ignoreCase: true, out var agg) && !int.TryParse(text, out _) ? agg : null;

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    [GeneratedRegex("^([0-9]+)(s|m|h|d|w)$")]
    private static partial Regex StepPattern();
}
