namespace Ioc.Ingest.LineProtocol;

/// <summary>The unit of line protocol timestamps, as the <c>precision</c> query parameter gives it.</summary>
public enum Precision
{
    /// <summary><c>ns</c>, the default.</summary>
    Nanoseconds,
    /// <summary><c>us</c>.</summary>
    Microseconds,
    /// <summary><c>ms</c>.</summary>
    Milliseconds,
    /// <summary><c>s</c>.</summary>
    Seconds,
}

/// <summary>Reading and applying <see cref="Precision"/>.</summary>
public static class Precisions
{
    /// <summary>
    /// Parses InfluxDB 2.x's names: <c>ns</c>, <c>us</c>, <c>ms</c>, <c>s</c>; a missing parameter means
    /// nanoseconds, but an empty one (<c>precision=</c>) is refused: it is a client that meant to say something.
    /// </summary>
    public static bool TryParse(string? text, out Precision precision)
    {
        precision = text switch
        {
            null or "ns" => Precision.Nanoseconds,
            "us" => Precision.Microseconds,
            "ms" => Precision.Milliseconds,
            "s" => Precision.Seconds,
            _ => (Precision)(-1),
        };
        return precision >= 0;
    }

    /// <summary>The instant of <paramref name="value"/> units since the Unix epoch, or false when it is out of range.</summary>
    public static bool TryToInstant(long value, Precision precision, out DateTimeOffset instant)
    {
        instant = default;
        long ticks;
        try
        {
            ticks = precision switch
            {
                // Ticks are 100 ns: nanoseconds are rounded down to the tick.
                Precision.Nanoseconds => Math.DivRem(value, 100, out var rem) - (rem < 0 ? 1 : 0),
                Precision.Microseconds => checked(value * 10),
                Precision.Milliseconds => checked(value * TimeSpan.TicksPerMillisecond),
                _ => checked(value * TimeSpan.TicksPerSecond),
            };
            ticks = checked(ticks + DateTimeOffset.UnixEpoch.UtcTicks);
        }
        catch (OverflowException)
        {
            return false;
        }
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks) return false;
        instant = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }
}
