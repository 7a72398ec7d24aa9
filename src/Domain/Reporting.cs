namespace Ioc.Domain;

/// <summary>How often an indicator is due.</summary>
public enum ReportingPeriodKind
{
    /// <summary>Once per calendar day, Vietnam time.</summary>
    Daily,
    /// <summary>Once per calendar month, Vietnam time.</summary>
    Monthly,
}

/// <summary>The reporting periods of scheduled indicators, on Vietnam's calendar (UTC+7, no daylight saving).</summary>
public static class ReportingPeriod
{
    /// <summary>Vietnam's offset from UTC.</summary>
    public static readonly TimeSpan VietnamOffset = TimeSpan.FromHours(7);

    /// <summary>An indicator expected at least daily (every <paramref name="interval"/>) is due each day; anything slower, each month.</summary>
    public static ReportingPeriodKind Of(TimeSpan interval) =>
        interval <= TimeSpan.FromDays(1) ? ReportingPeriodKind.Daily : ReportingPeriodKind.Monthly;

    /// <summary>The start of the period containing <paramref name="now"/>, as a Vietnam-time instant.</summary>
    public static DateTimeOffset StartOf(ReportingPeriodKind kind, DateTimeOffset now)
    {
        var local = now.ToOffset(VietnamOffset);
        return kind == ReportingPeriodKind.Daily
            ? new DateTimeOffset(local.Year, local.Month, local.Day, 0, 0, 0, VietnamOffset)
            : new DateTimeOffset(local.Year, local.Month, 1, 0, 0, 0, VietnamOffset);
    }

    /// <summary>
    /// Whether a scheduled indicator is unreported in the period starting at <paramref name="periodStart"/>:
    /// never reported, or its latest value (measured at <paramref name="latest"/>) is from an earlier period.
    /// </summary>
    public static bool IsUnreported(DateTimeOffset? latest, DateTimeOffset periodStart) => latest is not { } t || t < periodStart;
}

/// <summary>When a value is stale and a unit offline: silent for longer than its reporting interval allows.</summary>
public static class Freshness
{
    /// <summary>How long a value expected every <paramref name="interval"/> stays fresh: <paramref name="graceFactor"/> intervals.</summary>
    public static TimeSpan StaleAfter(TimeSpan interval, double graceFactor) => interval * graceFactor;

    /// <summary>Whether a value measured at <paramref name="timestamp"/> is stale at <paramref name="now"/>.</summary>
    public static bool IsStale(DateTimeOffset timestamp, TimeSpan staleAfter, DateTimeOffset now) => now - timestamp > staleAfter;

    /// <summary>
    /// Whether a unit that last reported at <paramref name="lastReport"/> is offline at <paramref name="now"/>:
    /// it never reported, or it has been silent for longer than its fastest metric allows (<paramref name="offlineAfter"/>).
    /// </summary>
    public static bool IsOffline(DateTimeOffset? lastReport, TimeSpan offlineAfter, DateTimeOffset now) =>
        lastReport is not { } last || now - last > offlineAfter;
}

/// <summary>
/// Periodic jobs on one timer, which ticks at the shortest of their periods. A job runs on a tick when it is due
/// within half a tick: one whose period is the tick runs on every tick however the timer jitters, a longer one at
/// intervals within half a tick of its period, and one that a jump of the clock carried past its period runs once.
/// </summary>
public readonly record struct SharedTicks(TimeSpan Tick)
{
    /// <summary>The tick for a job of period <paramref name="first"/> and one of period <paramref name="second"/>.</summary>
    public static SharedTicks Of(TimeSpan first, TimeSpan second)
    {
        if (first <= TimeSpan.Zero || second <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(first <= TimeSpan.Zero ? nameof(first) : nameof(second), "A period must be positive.");
        return new SharedTicks(first < second ? first : second);
    }

    /// <summary>Whether a job of period <paramref name="period"/>, last run <paramref name="sinceLast"/> ago, runs on this tick.</summary>
    public bool Runs(TimeSpan period, TimeSpan sinceLast) => sinceLast + Tick / 2 >= period;
}
