using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml;

namespace Ioc.Gateway.History;

/// <summary>How the values in one step are combined.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HistoryAggregate>))]
public enum HistoryAggregate
{
    /// <summary>Mean of every value in the step, over all units.</summary>
    Avg,
    /// <summary>Smallest value.</summary>
    Min,
    /// <summary>Largest value.</summary>
    Max,
    /// <summary>Sum of every value.</summary>
    Sum,
    /// <summary>How many values.</summary>
    Count,
    /// <summary>The value with the latest timestamp; of several at that instant, the largest.</summary>
    Last,
}

/// <summary>One metric over the units under an entity, aggregated by step over [From, To).</summary>
/// <param name="Metric">Catalog metric id.</param>
/// <param name="Units">The units whose values count.</param>
/// <param name="From">Start of the first step (inclusive), whole milliseconds.</param>
/// <param name="To">End of the range (exclusive), whole milliseconds; the last step may be shorter than the others.</param>
/// <param name="Step">Length of a step, whole seconds.</param>
/// <param name="Aggregate">How the values of a step combine.</param>
public sealed record HistoryQuery(string Metric, IReadOnlyCollection<string> Units, DateTimeOffset From, DateTimeOffset To, TimeSpan Step, HistoryAggregate Aggregate)
{
    /// <summary>How many steps the range holds, counting a shorter last one.</summary>
    public long Steps => (long)Math.Ceiling((To - From) / Step);
}

/// <summary>One step of a history answer.</summary>
/// <param name="Ts">Start of the step.</param>
/// <param name="Value">The step's aggregate.</param>
public sealed record HistoryPoint(DateTimeOffset Ts, double Value);

/// <summary>Settings of the history API (section <c>History</c>).</summary>
public sealed class HistoryOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "History";

    /// <summary>Most steps one answer may hold.</summary>
    [Range(10, 100_000)] public int MaxSteps { get; set; } = 2_000;

    /// <summary>The range when <c>from</c> is not given.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan DefaultRange { get; set; } = TimeSpan.FromHours(24);

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
