namespace Ioc.Silo.Grains;

/// <summary>The durable part of a unit's point count: the total and, per metric, the newest timestamp counted.</summary>
[GenerateSerializer]
public sealed class ReceivedPointsState
{
    /// <summary>Distinct (metric, timestamp) pairs received.</summary>
    [Id(0)] public long Total { get; set; }

    /// <summary>Per metric, the newest timestamp counted (UTC ticks).</summary>
    [Id(1)] public Dictionary<string, long> Newest { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Counts the distinct (metric, timestamp) pairs a unit sends, so that a batch resent after a lost answer
/// does not count twice. Per metric it remembers the timestamps counted within <see cref="Window"/> of the
/// newest (at most <see cref="MaxRemembered"/> of them); a point older than what it remembers is taken as
/// seen and not counted. After a restart only the newest timestamp per metric is known, so a replay is still
/// not counted, while a late point older than that is not counted either.
/// </summary>
public sealed class ReceivedPoints(ReceivedPointsState state)
{
    /// <summary>How far behind the newest timestamp points are still told apart.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Most timestamps remembered per metric.</summary>
    public const int MaxRemembered = 4096;

    private readonly Dictionary<string, Seen> _seen = new(StringComparer.Ordinal);

    private sealed class Seen(long floor)
    {
        /// <summary>Timestamps at or below this count as seen.</summary>
        public long Floor { get; set; } = floor;
        public SortedSet<long> Timestamps { get; } = [];
    }

    /// <summary>The total.</summary>
    public long Total => state.Total;

    /// <summary>Counts one point unless it was counted before; true when it was new.</summary>
    public bool Count(string metric, DateTimeOffset timestamp)
    {
        var ticks = timestamp.UtcTicks;
        if (!_seen.TryGetValue(metric, out var seen))
            _seen[metric] = seen = new Seen(state.Newest.TryGetValue(metric, out var newest) ? newest : long.MinValue);
        if (ticks <= seen.Floor || !seen.Timestamps.Add(ticks))
            return false;
        state.Total++;
        var max = seen.Timestamps.Max;
        state.Newest[metric] = max;
        while (seen.Timestamps.Count > MaxRemembered || max - seen.Timestamps.Min > Window.Ticks)
        {
            seen.Floor = seen.Timestamps.Min;
            seen.Timestamps.Remove(seen.Floor);
        }
        return true;
    }
}
