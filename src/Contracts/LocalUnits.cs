using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Ioc.Contracts;

/// <summary>
/// The unit grains active in this silo process, so that the live path, when it runs in the same process (the
/// one-command hub), hands a unit its points as a work item on the unit's own scheduler instead of a grain
/// call. A call costs a request message, an invoker, a response and a callback per unit per round; the work
/// item costs a task. The unit keeps its identity, activation and durability: only the delivery changes.
/// </summary>
/// <remarks>
/// A grain call filter sees every call; delivering in-process would go around it. So a process with grain call
/// filters of its own (Orleans' tracing filters aside) keeps the calls, and this registry stays empty.
/// </remarks>
public sealed class LocalUnits(IEnumerable<IIncomingGrainCallFilter> incoming, IEnumerable<IOutgoingGrainCallFilter> outgoing)
{
    private readonly ConcurrentDictionary<string, LocalUnit> _active = new(StringComparer.Ordinal);
    private readonly bool _enabled = !incoming.Cast<object>().Concat(outgoing).Any(f => f.GetType().Assembly.GetName().Name?.StartsWith("Orleans.", StringComparison.Ordinal) != true);

    /// <summary>
    /// Registers an active unit. Call it from the unit's own turn: it captures the activation's scheduler.
    /// <paramref name="take"/> applies points, or answers false when the activation cannot take them now (it is
    /// deactivating, or in a turn they must not interleave with), in which case the points go to
    /// <paramref name="grain"/> by a call: Orleans queues it behind that turn, or hands it to the next activation.
    /// </summary>
    public LocalUnit? Add(string unit, IUnitGrain grain, Func<ImmutableArray<MetricPoint>, bool> take)
    {
        if (!_enabled)
            return null;
        var entry = new LocalUnit(grain, TaskScheduler.Current, take);
        _active[unit] = entry;
        return entry;
    }

    /// <summary>Unregisters <paramref name="entry"/>, unless a newer activation of the unit has replaced it.</summary>
    public void Remove(string unit, LocalUnit? entry)
    {
        if (entry is not null)
            _active.TryRemove(new KeyValuePair<string, LocalUnit>(unit, entry));
    }

    /// <summary>The unit's active registration in this process, if it has one.</summary>
    public bool TryGet(string unit, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LocalUnit? entry) => _active.TryGetValue(unit, out entry);
}

/// <summary>An active unit grain reachable in this process; see <see cref="LocalUnits"/>.</summary>
public sealed class LocalUnit
{
    private readonly IUnitGrain _grain;
    private readonly TaskScheduler _scheduler;
    private readonly Func<ImmutableArray<MetricPoint>, bool> _take;
    private readonly Func<object?, Task> _work;

    internal LocalUnit(IUnitGrain grain, TaskScheduler scheduler, Func<ImmutableArray<MetricPoint>, bool> take)
    {
        (_grain, _scheduler, _take) = (grain, scheduler, take);
        _work = Work;
    }

    /// <summary>
    /// Gives the unit <paramref name="points"/> as one work item on its activation's scheduler, under the grain's
    /// single-threaded guarantee, in the order work items are queued. A work item interleaves with a turn that
    /// awaits, as a timer marked to interleave does; where the unit must not be entered (it is deactivating, or
    /// saving its state) it passes the points on by a grain call, so nothing is dropped. The task ends when the
    /// points are taken.
    /// </summary>
    public Task Report(ImmutableArray<MetricPoint> points) =>
        Task.Factory.StartNew(_work, points, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap();

    private Task Work(object? state)
    {
        var points = (ImmutableArray<MetricPoint>)state!;
        return _take(points) ? Task.CompletedTask : _grain.Report(points);
    }
}
