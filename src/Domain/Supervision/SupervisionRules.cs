namespace Ioc.Domain;

/// <summary>A value a unit reported, as the last one of its Vietnam-time day.</summary>
/// <param name="Day">Local midnight starting the day, Vietnam time.</param>
/// <param name="Value">The day's last value.</param>
public readonly record struct DatedValue(DateTimeOffset Day, double Value);

/// <summary>How long an indicator has stood below its target.</summary>
/// <param name="Since">The day of the first value in the unbroken run of values below target that ends the period.</param>
/// <param name="AtLeast">
/// True when the run begins with the oldest value looked at: it may have begun earlier, so
/// <paramref name="Since"/> is the latest it can have begun.
/// </param>
public readonly record struct BelowRun(DateTimeOffset Since, bool AtLeast);

/// <summary>
/// The rules a supervision report is assembled by, on values already read from history: which value
/// stands for a period, how long a value has been below target, which reporting slots were due and
/// missed. Every list of <see cref="DatedValue"/> here is in day order.
/// </summary>
public static class SupervisionRules
{
    /// <summary>The value that stands for [<paramref name="from"/>, <paramref name="to"/>): the last one reported in it; null when none was.</summary>
    public static double? LastIn(IReadOnlyList<DatedValue> values, DateTimeOffset from, DateTimeOffset to)
    {
        for (var i = values.Count - 1; i >= 0; i--)
        {
            if (values[i].Day >= to) continue;
            return values[i].Day >= from ? values[i].Value : null;
        }
        return null;
    }

    /// <summary>The last value reported before <paramref name="end"/>, whenever it was; null when none was.</summary>
    public static DatedValue? LastBefore(IReadOnlyList<DatedValue> values, DateTimeOffset end)
    {
        for (var i = values.Count - 1; i >= 0; i--)
            if (values[i].Day < end) return values[i];
        return null;
    }

    /// <summary>
    /// How long the values before <paramref name="end"/> have missed <paramref name="target"/>: back from the
    /// last of them for as long as each misses it. Null when the last one meets it or there is none. Days
    /// without a value do not break the run: an indicator due monthly has most days empty.
    /// </summary>
    public static BelowRun? BelowSince(IReadOnlyList<DatedValue> values, Target target, DateTimeOffset end)
    {
        DateTimeOffset? since = null;
        var i = values.Count - 1;
        while (i >= 0 && values[i].Day >= end) i--;
        for (; i >= 0; i--)
        {
            if (!target.IsMissedBy(values[i].Value))
                return since is { } s ? new BelowRun(s, false) : null;
            since = values[i].Day;
        }
        return since is { } first ? new BelowRun(first, true) : null;
    }

    /// <summary>Whole days from <paramref name="since"/> to <paramref name="until"/>, at least zero.</summary>
    public static int DaysBetween(DateTimeOffset since, DateTimeOffset until) => Math.Max(0, (int)Math.Floor((until - since).TotalDays));

    /// <summary>The start of the reporting slot (Vietnam day or month) <paramref name="instant"/> falls in.</summary>
    public static DateTimeOffset SlotOf(ReportingPeriodKind schedule, DateTimeOffset instant) => ReportingPeriod.StartOf(schedule, instant);

    /// <summary>
    /// The reporting slots of <paramref name="schedule"/> in <paramref name="period"/> that were due by
    /// <paramref name="now"/>: every day or month of the period that has ended. The slot in progress is not
    /// due yet, so the current period counts only what it has already missed.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> DueSlots(ReportingPeriodKind schedule, SupervisionPeriod period, DateTimeOffset now)
    {
        var slots = new List<DateTimeOffset>();
        var start = period.Start;
        while (start < period.End)
        {
            var next = schedule == ReportingPeriodKind.Daily ? start.AddDays(1) : start.AddMonths(1);
            if (next > now) break;
            slots.Add(start);
            start = next;
        }
        return slots;
    }

    /// <summary>The due slots of <paramref name="period"/> in which no value was reported.</summary>
    public static IReadOnlyList<DateTimeOffset> MissingSlots(
        ReportingPeriodKind schedule, SupervisionPeriod period, DateTimeOffset now, IReadOnlyList<DatedValue> values)
    {
        var reported = new HashSet<DateTimeOffset>();
        foreach (var v in values)
            if (period.Contains(v.Day)) reported.Add(SlotOf(schedule, v.Day));
        return [.. DueSlots(schedule, period, now).Where(s => !reported.Contains(s))];
    }

    /// <summary>
    /// The values of several units combined as the metric rolls up (<see cref="MetricPartial"/>, as the wall
    /// does); null when there are none.
    /// </summary>
    public static double? Combine(RollupKind rollup, string metric, IEnumerable<(double Value, DateTimeOffset Day)> values)
    {
        MetricPartial? partial = null;
        foreach (var (value, day) in values)
        {
            var one = MetricPartial.Of(metric, value, day);
            partial = partial is { } p ? p.Combine(one) : one;
        }
        return partial?.ValueOf(rollup);
    }

    /// <summary>
    /// <paramref name="value"/> minus <paramref name="previous"/>, in decimal where it fits so that 1.0 − 0.8 is 0.2;
    /// null when either is missing.
    /// </summary>
    public static double? Change(double? value, double? previous)
    {
        if (value is not { } v || previous is not { } p) return null;
        const double decimalRange = 7.9e27;
        return Math.Abs(v) < decimalRange && Math.Abs(p) < decimalRange ? (double)((decimal)v - (decimal)p) : v - p;
    }

    /// <summary>
    /// Whether the scope achieved an indicator in the period. For a metric that rolls up by sum (officials),
    /// the target is per unit, so the scope achieves it when no unit missed it; otherwise the rolled-up
    /// value is judged. Null when there is no target or no value.
    /// </summary>
    public static bool? Achieved(RollupKind rollup, Target? target, double? value, int unitsBelow)
    {
        if (target is null || value is not { } v) return null;
        return rollup == RollupKind.Sum ? unitsBelow == 0 : !target.IsMissedBy(v);
    }

    /// <summary>How long an alert raised at <paramref name="raisedAt"/> waited to be acknowledged; null when it was not.</summary>
    public static TimeSpan? TimeToAcknowledge(DateTimeOffset raisedAt, DateTimeOffset? acknowledgedAt) =>
        acknowledgedAt is { } at ? at - raisedAt : null;

    /// <summary>The median of <paramref name="values"/>; null when there are none.</summary>
    public static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : sorted[mid - 1] + (sorted[mid] - sorted[mid - 1]) / 2;
    }
}
