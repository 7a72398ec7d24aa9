namespace Ioc.TimeSeries;

/// <summary>How the values in one step are combined.</summary>
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
