namespace Ioc.Domain;

/// <summary>How a metric's values combine over the units under an entity.</summary>
public enum RollupKind
{
    /// <summary>Add the units' latest values.</summary>
    Sum,
    /// <summary>Average the units' latest values.</summary>
    Average,
    /// <summary>The smallest latest value.</summary>
    Min,
    /// <summary>The largest latest value.</summary>
    Max,
    /// <summary>The value with the newest timestamp.</summary>
    Latest,
}

/// <summary>
/// A metric's partial aggregate over the units below one child, from which any roll-up kind can be
/// combined further up without double counting.
/// </summary>
/// <remarks>
/// <see cref="Combine"/> is associative and commutative, with <see cref="Empty"/> as its identity, so a parent
/// may merge its children's partials in any order and grouping (the sum exactly so wherever floating-point
/// addition is exact). Of two latest values with the same timestamp the larger wins, so that ties do not
/// depend on the order either.
/// </remarks>
public readonly record struct MetricPartial(string Metric, double Sum, int Count, double Min, double Max, double Last, DateTimeOffset LastTimestamp)
{
    /// <summary>The partial of a single value.</summary>
    public static MetricPartial Of(string metric, double value, DateTimeOffset timestamp) =>
        new(metric, value, 1, value, value, value, timestamp);

    /// <summary>The partial of no value: what a child sends to withdraw its contribution, and where merging starts.</summary>
    public static MetricPartial Empty(string metric) =>
        new(metric, 0, 0, double.PositiveInfinity, double.NegativeInfinity, double.NaN, DateTimeOffset.MinValue);

    /// <summary>Combines two partials of the same metric.</summary>
    public MetricPartial Combine(MetricPartial other)
    {
        var otherIsLater = other.LastTimestamp > LastTimestamp || (other.LastTimestamp == LastTimestamp && other.Last > Last);
        return new(
            Metric,
            Sum + other.Sum,
            Count + other.Count,
            Math.Min(Min, other.Min),
            Math.Max(Max, other.Max),
            otherIsLater ? other.Last : Last,
            otherIsLater ? other.LastTimestamp : LastTimestamp);
    }

    /// <summary>The value this partial rolls up to under <paramref name="kind"/>.</summary>
    public double ValueOf(RollupKind kind) => kind switch
    {
        RollupKind.Sum => Sum,
        RollupKind.Average => Count == 0 ? double.NaN : Sum / Count,
        RollupKind.Min => Min,
        RollupKind.Max => Max,
        _ => Last,
    };
}

/// <summary>
/// What a roll-up counts over the units under it: units by status, indicators below target, scheduled
/// indicators not reported this period, and when a unit last reported. Children's tallies add up, in any order.
/// </summary>
/// <param name="Units">Units by status.</param>
/// <param name="BelowTarget">Indicators below target.</param>
/// <param name="NotReported">Scheduled indicators not reported this period.</param>
/// <param name="LastReport">When any unit last reported, or null when none has.</param>
public readonly record struct ScopeTally(StatusCounts Units, int BelowTarget, int NotReported, DateTimeOffset? LastReport)
{
    /// <summary>The scope's status: its worst unit's, or offline when no unit stands anywhere.</summary>
    public HealthStatus Status => Units.Worst;

    /// <summary>A scope whose <paramref name="units"/> have not reported yet: all offline, each of their scheduled indicators unreported.</summary>
    public static ScopeTally Unheard(int units, int indicators) => new(new StatusCounts(0, 0, 0, 0, units), 0, indicators, null);

    /// <summary>Adds two tallies; the later of the two last reports is kept.</summary>
    public static ScopeTally operator +(ScopeTally a, ScopeTally b) => new(
        a.Units + b.Units,
        a.BelowTarget + b.BelowTarget,
        a.NotReported + b.NotReported,
        a.LastReport is not { } x ? b.LastReport : b.LastReport is not { } y ? x : x >= y ? x : y);
}
