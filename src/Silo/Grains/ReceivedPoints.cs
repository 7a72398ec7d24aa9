namespace Ioc.Silo.Grains;

/// <summary>
/// The durable part of a unit's point count: the total and, per metric, the newest timestamp counted as of
/// the last <see cref="ReceivedPoints.Flush"/>.
/// </summary>
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
/// <remarks>
/// The timestamps of a metric sit in one sorted array, 8 bytes each: points mostly arrive in time order,
/// so counting one is an append and forgetting one moves a start index. A tree of nodes here kept millions
/// of small objects alive under load and made the garbage collector the hub's busiest thread.
/// <para>
/// The bound is kept small because every active unit holds it for every metric: at 1 Hz, 1,024 timestamps per
/// metric (as it once was) grew to 16 KiB per metric after 17 minutes, about 1.3 GB at 20,000 units × 4 metrics.
/// 64, in an array of at most 80, keeps it under 700 bytes. A resend after a lost answer comes within seconds,
/// and points mostly arrive in time order, so the only points this undercounts are ones that arrive more than 64
/// timestamps late.
/// </para>
/// </remarks>
/// <param name="state">The stored totals and newest timestamps, which <see cref="Flush"/> updates.</param>
/// <param name="metrics">The unit's metrics in its book's order: a point is counted by its metric's place, not its name.</param>
public sealed class ReceivedPoints(ReceivedPointsState state, IReadOnlyList<string> metrics)
{
    /// <summary>How far behind the newest timestamp points are still told apart.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>Most timestamps remembered per metric.</summary>
    public const int MaxRemembered = 64;

    // Per metric, by its place in the book; made at the metric's first point.
    private readonly Seen?[] _seen = new Seen?[metrics.Count];

    /// <summary>The total.</summary>
    public long Total => state.Total;

    /// <summary>Counts one point of the metric at <paramref name="slot"/> unless it was counted before; true when it was new.</summary>
    public bool Count(int slot, DateTimeOffset timestamp)
    {
        var seen = _seen[slot] ??= new Seen(state.Newest.TryGetValue(metrics[slot], out var newest) ? newest : long.MinValue);
        if (!seen.Add(timestamp.UtcTicks))
            return false;
        state.Total++;
        return true;
    }

    /// <summary>Writes the newest timestamp counted per metric into the state, before it is saved.</summary>
    public void Flush()
    {
        for (var i = 0; i < _seen.Length; i++)
            if (_seen[i] is { Count: > 0 } seen) state.Newest[metrics[i]] = seen.Max;
    }

    /// <summary>The remembered timestamps of one metric, ascending, in <c>_items[_start.._end]</c>.</summary>
    private sealed class Seen(long floor)
    {
        private long[] _items = new long[8];
        private int _start;
        private int _end;
        // Timestamps at or below this count as seen.
        private long _floor = floor;

        public int Count => _end - _start;

        public long Max => _items[_end - 1];

        public bool Add(long ticks)
        {
            if (ticks <= _floor) return false;
            if (_end == _start || ticks > _items[_end - 1])
            {
                Append(ticks);
            }
            else
            {
                var at = Array.BinarySearch(_items, _start, _end - _start, ticks);
                if (at >= 0) return false;
                Insert(~at, ticks);
            }
            var max = _items[_end - 1];
            while (_end - _start > MaxRemembered || max - _items[_start] > Window.Ticks)
                _floor = _items[_start++];
            return true;
        }

        private void Append(long ticks)
        {
            MakeRoom();
            _items[_end++] = ticks;
        }

        private void Insert(int at, long ticks)
        {
            var offset = _start;
            MakeRoom();
            at -= offset - _start;
            Array.Copy(_items, at, _items, at + 1, _end - at);
            _items[at] = ticks;
            _end++;
        }

        // Ensures one free slot at the end: slides the live part to the front, or grows the array. The array
        // grows to at most a quarter more than the bound: once full, every 16 appends slide 64 timestamps down,
        // which is cheaper than the memory a doubled array would hold in every active unit's every metric.
        private void MakeRoom()
        {
            if (_end < _items.Length) return;
            var count = _end - _start;
            if (count <= _items.Length / 2 || _items.Length == Capacity)
            {
                Array.Copy(_items, _start, _items, 0, count);
            }
            else
            {
                var grown = new long[Math.Min(_items.Length * 2, Capacity)];
                Array.Copy(_items, _start, grown, 0, count);
                _items = grown;
            }
            (_start, _end) = (0, count);
        }

        // Room for the bound, the one timestamp appended before the oldest is forgotten, and the slack that
        // keeps slides rare.
        private const int Capacity = MaxRemembered + MaxRemembered / 4;
    }
}
