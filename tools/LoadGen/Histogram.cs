using System.Numerics;

namespace Ioc.LoadGen;

/// <summary>Percentiles of a latency distribution, in milliseconds.</summary>
public readonly record struct Percentiles(long Count, double P50, double P95, double P99, double Max)
{
    /// <summary>No samples.</summary>
    public static readonly Percentiles None = new(0, double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// A lock-free log-linear histogram of durations: exact below 128 µs, within 1.6 % above, in a few
/// kilobytes however many samples arrive. Thousands of screen callbacks record into it at once, which
/// a list of samples could not take without growing by millions of entries a minute.
/// </summary>
public sealed class Histogram
{
    private const int Linear = 128;
    private const int SubBuckets = 64;
    private readonly long[] _counts = new long[Linear + 40 * SubBuckets];
    private long _max;

    /// <summary>Records one duration in microseconds; negative values count as zero.</summary>
    public void Record(long microseconds)
    {
        var us = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[Index(us)]);
        var max = Volatile.Read(ref _max);
        while (us > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, us, max);
            if (seen == max) break;
            max = seen;
        }
    }

    /// <summary>Records a duration.</summary>
    public void Record(TimeSpan duration) => Record(duration.Ticks / TimeSpan.TicksPerMicrosecond);

    /// <summary>How many samples were recorded.</summary>
    public long Count
    {
        get
        {
            long n = 0;
            for (var i = 0; i < _counts.Length; i++) n += Volatile.Read(ref _counts[i]);
            return n;
        }
    }

    /// <summary>Forgets every sample.</summary>
    public void Reset()
    {
        for (var i = 0; i < _counts.Length; i++) Interlocked.Exchange(ref _counts[i], 0);
        Interlocked.Exchange(ref _max, 0);
    }

    /// <summary>The 50th, 95th and 99th percentiles and the maximum, in milliseconds.</summary>
    public Percentiles Snapshot()
    {
        var counts = new long[_counts.Length];
        long total = 0;
        for (var i = 0; i < counts.Length; i++) total += counts[i] = Volatile.Read(ref _counts[i]);
        if (total == 0) return Percentiles.None;
        double At(double q)
        {
            var rank = (long)Math.Ceiling(q * total);
            long seen = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                seen += counts[i];
                if (seen >= rank) return Middle(i) / 1000.0;
            }
            return Volatile.Read(ref _max) / 1000.0;
        }
        return new Percentiles(total, At(0.50), At(0.95), At(0.99), Volatile.Read(ref _max) / 1000.0);
    }

    private static int Index(long us)
    {
        if (us < Linear) return (int)us;
        var shift = BitOperations.Log2((ulong)us) - 6;
        var index = Linear + (shift - 1) * SubBuckets + (int)(us >> shift) - SubBuckets;
        return Math.Min(index, Linear + 40 * SubBuckets - 1);
    }

    private static double Middle(int index)
    {
        if (index < Linear) return index;
        var shift = (index - Linear) / SubBuckets + 1;
        var mantissa = (index - Linear) % SubBuckets + SubBuckets;
        return ((long)mantissa << shift) + ((1L << shift) / 2.0);
    }
}
