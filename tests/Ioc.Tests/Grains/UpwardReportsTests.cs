using System.Collections.Immutable;
using Ioc.Silo.Grains;

namespace Ioc.Tests.Grains;

/// <summary>
/// The silo's reports up the tree and to the wall (<see cref="UpwardReports"/>): the reports of many children go to a
/// parent in one call, the updates of many entities to the push notifier in one call, and nothing is lost on the way.
/// Each test holds or fails the calls it looks at in a grain call filter, so what shares a call does not depend on
/// timing.
/// </summary>
public sealed class UpwardReportsTests
{
    // The project spans every locality; each locality has one traffic counter in it.
    private const string Project = "ioc";
    private const string Metric = "vehicle-count";

    // xUnit makes a new instance for each test, so each test's cluster has a call filter of its own.
    private readonly ParentCalls _calls = new();

    [Fact]
    public async Task Reports_of_many_children_reach_a_parent_in_fewer_calls_and_roll_up_as_they_did_one_by_one()
    {
        await using var hub = await Start();
        var counters = TrafficCounters(hub);
        var values = counters.Select((_, i) => 10.0 * (i + 1)).ToArray();
        var mark = hub.Feed.Mark();

        // The first call to the project is held, so every other counter's report is handed over while it is in flight.
        var held = _calls.HoldNext(nameof(IRollupGrain.ChildrenChanged), Project);
        await Report(hub, counters[0], values[0]);
        await Arrival(held);
        await Task.WhenAll(counters.Skip(1).Select((unit, i) => Report(hub, unit, values[i + 1])));
        held.Release.TrySetResult();

        var update = await hub.Feed.Update(u => u.Id == Project && u.Rollups.Any(r => r.Metric == Metric && r.Value == values.Sum()), mark);

        // One by one, the project's vehicle count was the sum of its counters' latest values, counted once each.
        Assert.Equal(counters.Length, update.Rollups.Single(r => r.Metric == Metric).Units);
        var snapshot = await hub.Client.GetGrain<IProjectGrain>(Project).GetSnapshot();
        Assert.Equal(values.Sum(), snapshot.Rollups.Single(r => r.Metric == Metric).Value);
        Assert.Equal(hub.Catalog.UnitsUnder(Project).Count, snapshot.Units.Total);
        // Each locality has the one counter, reported to it in calls of its own.
        foreach (var (unit, value) in counters.Zip(values))
            await hub.Feed.Update(u => u.Id == hub.Catalog.Entity(unit).Locality && u.Rollups.Any(r => r.Metric == Metric && r.Value == value), mark);
        // Every counter's report reached the project, and at least the reports handed over during the held call shared one.
        var (callCount, reports) = _calls.To(Project);
        Assert.Superset(counters.ToHashSet(), reports.ToHashSet());
        Assert.True(callCount < reports.Count, $"{reports.Count} reports came in {callCount} calls");
    }

    [Fact]
    public async Task A_parent_that_could_not_be_reached_gets_every_report_again_once_it_can()
    {
        await using var hub = await Start();
        var counters = TrafficCounters(hub);
        var values = counters.Select((_, i) => 7.0 * (i + 1)).ToArray();

        var failing = _calls.FailUntilSeen(nameof(IRollupGrain.ChildrenChanged), Project, counters);
        await Task.WhenAll(counters.Select((unit, i) => Report(hub, unit, values[i])));
        // Every counter's report to the project has been lost at least once.
        await Arrival(failing);
        var mark = hub.Feed.Mark();
        failing.Release.TrySetResult();

        var update = await hub.Feed.Update(u => u.Id == Project && u.Rollups.Any(r => r.Metric == Metric && r.Value == values.Sum()), mark);

        Assert.Equal(counters.Length, update.Rollups.Single(r => r.Metric == Metric).Units);
    }

    [Fact]
    public async Task The_last_value_of_every_unit_s_burst_reaches_the_wall_and_updates_share_publishes()
    {
        const int burst = 500;
        await using var hub = await Start();
        var counters = TrafficCounters(hub);
        var start = hub.Time.GetUtcNow();
        await Task.WhenAll(counters.Select(unit => Report(hub, unit, 0, start.AddSeconds(-2))));

        // The notifier's next call is held, so that the bursts' updates are all handed over while it is in flight.
        var held = _calls.HoldNext(nameof(IPushNotifierGrain.PublishMany), null);
        await Report(hub, counters[0], -1, start.AddSeconds(-1));
        await Arrival(held);
        var mark = hub.Feed.Mark();
        await Task.WhenAll(counters.Select(unit => Task.WhenAll(Enumerable.Range(1, burst).Select(i =>
            hub.Client.GetGrain<IUnitGrain>(unit).Report([new MetricPoint(Metric, i, start.AddTicks(i))])))));
        held.Release.TrySetResult();

        foreach (var unit in counters)
            await hub.Feed.Update(u => u.Id == unit && u.Metrics.Any(m => m.Metric == Metric && m.Value == burst), mark);
        var (publishes, updates) = _calls.To(null);
        Assert.True(publishes < updates.Count, $"{updates.Count} updates came in {publishes} publishes");
    }

    private async Task<HubCluster> Start()
    {
        var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), DateTimeOffset.UtcNow,
            configureSilo: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter>(_calls));
        // As the silo's catalog warm-up does: every entity active before the first report.
        await Task.WhenAll(hub.Catalog.Entities.Select(e => hub.Client.For(e).GetSnapshot()));
        return hub;
    }

    private static string[] TrafficCounters(HubCluster hub) =>
        [.. hub.Catalog.ChildrenOf(Project).Where(u => hub.Catalog.Entity(u).Metrics.Contains(Metric))];

    private static Task Report(HubCluster hub, string unit, double value, DateTimeOffset? at = null) =>
        hub.Client.GetGrain<IUnitGrain>(unit).Report([new MetricPoint(Metric, value, at ?? hub.Time.GetUtcNow())]);

    private static Task Arrival(Gate gate) =>
        gate.Arrived.Task.WaitAsync(Signals<object>.Patience, TestContext.Current.CancellationToken);

    /// <summary>A call held (or failed) until released, and the signal that it arrived.</summary>
    private sealed class Gate
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Records the batched calls to roll-ups and push notifiers, by target (null for the notifier): how many, and whose
    /// reports or updates they carried. It can hold the next such call, or fail them until each of some children has
    /// been in a failed one.
    /// </summary>
    private sealed class ParentCalls : IIncomingGrainCallFilter
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, (int Calls, List<string> Items)> _seen = new(StringComparer.Ordinal);
        private (string Method, string? Target, Gate Gate)? _hold;
        private (string Method, string Target, HashSet<string> Unseen, Gate Gate)? _fail;

        public Gate HoldNext(string method, string? target)
        {
            var gate = new Gate();
            lock (_lock) _hold = (method, target, gate);
            return gate;
        }

        public Gate FailUntilSeen(string method, string target, IEnumerable<string> children)
        {
            var gate = new Gate();
            lock (_lock) _fail = (method, target, children.ToHashSet(StringComparer.Ordinal), gate);
            return gate;
        }

        public (int Calls, List<string> Items) To(string? target)
        {
            lock (_lock)
                return _seen.TryGetValue(target ?? "", out var seen) ? (seen.Calls, [.. seen.Items]) : (0, []);
        }

        public async Task Invoke(IIncomingGrainCallContext call)
        {
            var method = call.InterfaceMethod.Name;
            List<string>? items = method switch
            {
                nameof(IRollupGrain.ChildrenChanged) => [.. ((ImmutableArray<ChildReport>)call.Request.GetArgument(0)!).Select(r => r.ChildId)],
                nameof(IPushNotifierGrain.PublishMany) => [.. ((ImmutableArray<EntityUpdate>)call.Request.GetArgument(0)!).Select(u => u.Id)],
                _ => null,
            };
            if (items is null)
            {
                await call.Invoke();
                return;
            }
            var target = method == nameof(IRollupGrain.ChildrenChanged) ? call.TargetId.Key.ToString()! : "";
            Gate? hold = null;
            Task? fail = null;
            lock (_lock)
            {
                var seen = _seen.TryGetValue(target, out var s) ? s : (Calls: 0, Items: new List<string>());
                seen.Items.AddRange(items);
                _seen[target] = (seen.Calls + 1, seen.Items);
                if (_hold is { } h && h.Method == method && (h.Target ?? "") == target)
                {
                    hold = h.Gate;
                    _hold = null;
                }
                if (_fail is { } f && f.Method == method && f.Target == target && !f.Gate.Release.Task.IsCompleted)
                {
                    f.Unseen.ExceptWith(items);
                    if (f.Unseen.Count == 0)
                        f.Gate.Arrived.TrySetResult();
                    fail = Task.FromException(new InvalidOperationException($"{target} cannot be reached"));
                }
            }
            if (hold is not null)
            {
                hold.Arrived.TrySetResult();
                await hold.Release.Task;
            }
            await (fail ?? call.Invoke());
        }
    }
}
