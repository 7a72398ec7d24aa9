using System.Collections.Immutable;
using Ioc.Contracts;
using Microsoft.Extensions.Options;

namespace Ioc.Silo.Grains;

/// <summary>A unit's durable state: each metric's newest value, and when the unit last reported.</summary>
[GenerateSerializer]
public sealed class UnitState
{
    /// <summary>Newest point per metric, by timestamp.</summary>
    [Id(0)] public Dictionary<string, MetricPoint> Latest { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When the unit last reported anything (server time of arrival).</summary>
    [Id(1)] public DateTimeOffset? LastReport { get; set; }

    /// <summary>How many distinct points the unit has sent.</summary>
    [Id(2)] public ReceivedPointsState Received { get; set; } = new();
}

/// <summary>
/// One reporting unit. Keeps the newest value of each metric, judges it, and tells its parents and
/// the wall what changed, coalesced so that a burst becomes a handful of calls up the tree.
/// </summary>
public sealed class UnitGrain(
    [PersistentState("unit", HubStorage.Name)] IPersistentState<UnitState> state,
    Catalog catalog,
    IOptions<HubOptions> options,
    TimeProvider time,
    ILogger<UnitGrain> logger) : Grain, IUnitGrain
{
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    // Metrics whose values currently count in the parents' roll-ups: fresh values of an online unit.
    private readonly HashSet<string> _contributing = new(StringComparer.Ordinal);
    private CatalogEntity _entity = null!;
    private TimeSpan _offlineAfter;
    private UpdatePump _pump = null!;
    private ReceivedPoints _received = null!;
    private HealthStatus _status = HealthStatus.Offline;
    private bool _stateDirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out _entity) || _entity.Kind != EntityKind.Unit)
            throw new InvalidOperationException($"'{id}' is not a unit in the catalog.");
        _offlineAfter = _entity.Metrics.Min(m => catalog.Metric(m).Interval) * options.Value.OfflineGraceFactor;
        _pump = new UpdatePump(id, catalog, GrainFactory, time, logger);
        _received = new ReceivedPoints(state.State.Received);

        // Parents learn this unit's restored state after a restart.
        foreach (var metric in state.State.Latest.Keys) _changed.Add(metric);
        _status = CurrentStatus(time.GetUtcNow());
        _pump.MarkDirty(Build);

        this.RegisterGrainTimer(CheckFreshness, new GrainTimerCreationOptions
        {
            DueTime = options.Value.FreshnessCheckPeriod,
            Period = options.Value.FreshnessCheckPeriod,
            Interleave = true,
            KeepAlive = true,
        });
        this.RegisterGrainTimer(_ => SaveIfDirty(), new GrainTimerCreationOptions
        {
            DueTime = options.Value.StateSavePeriod,
            Period = options.Value.StateSavePeriod,
        });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SaveIfDirty();
        await _pump.Drain();
    }

    public Task Report(ImmutableArray<MetricPoint> points)
    {
        var latest = state.State.Latest;
        foreach (var point in points)
        {
            _received.Count(point.Metric, point.Timestamp);
            // "Latest" is the newest timestamp, not the last arrival.
            if (latest.TryGetValue(point.Metric, out var current) && current.Timestamp > point.Timestamp)
                continue;
            latest[point.Metric] = point;
            _changed.Add(point.Metric);
        }
        var now = time.GetUtcNow();
        state.State.LastReport = now;
        _stateDirty = true;
        Refresh(now);
        _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    public Task<UnitIntake> GetIntake() => Task.FromResult(new UnitIntake(_entity.Id, _received.Total));

    public Task<EntitySnapshot> GetSnapshot()
    {
        var now = time.GetUtcNow();
        var metrics = state.State.Latest.Values.Select(p => Judge(p, now)).ToImmutableArray();
        return Task.FromResult(new EntitySnapshot(
            _entity.Id, _pump.Sequence, _status, state.State.LastReport, metrics, [], StatusCounts.Of(_status), []));
    }

    private Task CheckFreshness(CancellationToken cancellationToken)
    {
        if (Refresh(time.GetUtcNow()))
            _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    /// <summary>Re-judges the unit; marks what must be re-sent. True when anything changed.</summary>
    private bool Refresh(DateTimeOffset now)
    {
        var status = CurrentStatus(now);
        var changed = status != _status;
        _status = status;
        foreach (var p in state.State.Latest.Values)
        {
            if (_contributing.Contains(p.Metric) != Contributes(p, now))
            {
                _changed.Add(p.Metric);
                changed = true;
            }
        }
        return changed || _changed.Count > 0;
    }

    private async Task SaveIfDirty()
    {
        if (!_stateDirty) return;
        _stateDirty = false;
        await state.WriteStateAsync();
    }

    private HealthStatus CurrentStatus(DateTimeOffset now)
    {
        if (state.State.LastReport is not { } last || now - last > _offlineAfter)
            return HealthStatus.Offline;
        var worst = HealthStatus.Ok;
        foreach (var p in state.State.Latest.Values)
        {
            if (IsStale(p, now)) continue;
            var s = catalog.Metric(p.Metric).Classify(p.Value);
            if (s > worst) worst = s;
        }
        return worst;
    }

    private bool IsStale(MetricPoint p, DateTimeOffset now) =>
        !catalog.TryGetMetric(p.Metric, out var m) || now - p.Timestamp > m.Interval * options.Value.OfflineGraceFactor;

    private bool Contributes(MetricPoint p, DateTimeOffset now) => _status != HealthStatus.Offline && !IsStale(p, now);

    private MetricValue Judge(MetricPoint p, DateTimeOffset now) =>
        new(p.Metric, p.Value, p.Timestamp, IsStale(p, now) ? HealthStatus.Offline : catalog.Metric(p.Metric).Classify(p.Value));

    private (ChildReport Parent, EntityUpdate Wall) Build(long sequence, bool full)
    {
        var now = time.GetUtcNow();
        if (full)
            foreach (var metric in state.State.Latest.Keys) _changed.Add(metric);
        var partials = ImmutableArray.CreateBuilder<MetricPartial>(_changed.Count);
        var values = ImmutableArray.CreateBuilder<MetricValue>(_changed.Count);
        foreach (var metric in _changed)
        {
            if (!state.State.Latest.TryGetValue(metric, out var p))
                continue;
            values.Add(Judge(p, now));
            if (Contributes(p, now))
            {
                _contributing.Add(metric);
                partials.Add(MetricPartial.Of(metric, p.Value, p.Timestamp));
            }
            else
            {
                // An empty partial withdraws this unit's contribution.
                _contributing.Remove(metric);
                partials.Add(new MetricPartial(metric, 0, 0, double.PositiveInfinity, double.NegativeInfinity, double.NaN, DateTimeOffset.MinValue));
            }
        }
        _changed.Clear();
        var counts = StatusCounts.Of(_status);
        var last = state.State.LastReport;
        return (
            new ChildReport(_entity.Id, _status, last, counts, partials.ToImmutable()),
            new EntityUpdate(_entity.Id, sequence, sequence, _status, last, values.ToImmutable(), [], counts, []));
    }
}
