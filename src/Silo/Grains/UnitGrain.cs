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

    /// <summary>For each metric whose latest value misses its target: since when it has.</summary>
    [Id(2)] public Dictionary<string, DateTimeOffset> BelowTargetSince { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How many distinct points the unit has sent.</summary>
    [Id(3)] public ReceivedPointsState Received { get; set; } = new();
}

/// <summary>
/// One reporting unit. Keeps the newest value of each metric, judges it by the targets and thresholds
/// in force, and tells its parents and the wall what changed, coalesced so that a burst becomes a
/// handful of calls up the tree. Changes in what it breaches go to its alerts.
/// </summary>
public sealed class UnitGrain(
    [PersistentState("unit", HubStorage.Name)] IPersistentState<UnitState> state,
    Catalog catalog,
    IOptions<HubOptions> options,
    IOptions<AlertOptions> alertOptions,
    [FromKeyedServices(HubClock.Key)] TimeProvider time,
    ILogger<UnitGrain> logger) : Grain, IUnitGrain
{
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    // Metrics whose values currently count in the parents' roll-ups: fresh values of an online unit.
    private readonly HashSet<string> _contributing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MetricRule> _rules = new(StringComparer.Ordinal);
    private long _rulesVersion = -1;
    private CatalogEntity _entity = null!;
    private TimeSpan _offlineAfter;
    private UpdatePump _pump = null!;
    private ReceivedPoints _received = null!;
    private HealthStatus _status = HealthStatus.Offline;
    private int _belowTarget;
    private int _notReported;
    private bool _stateDirty;
    private IAlertsGrain _alerts = null!;
    // The conditions the alerts are told about; sent again only when a severity in them changes.
    private List<AlertCondition> _conditions = [];
    private Task _alertsSending = Task.CompletedTask;
    private bool _alertsDirty;
    // When the unit was last judged: updates are built as of then, so that the status, the counts and the
    // values in one update always agree, even when the clock has moved on since.
    private DateTimeOffset _judgedAt;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out _entity) || _entity.Kind != EntityKind.Unit)
            throw new InvalidOperationException($"'{id}' is not a unit in the catalog.");
        _offlineAfter = _entity.Metrics.Min(m => catalog.Metric(m).Interval) * options.Value.OfflineGraceFactor;
        _pump = new UpdatePump(id, catalog, GrainFactory, GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity), logger);
        _alerts = GrainFactory.GetGrain<IAlertsGrain>(id);
        foreach (var metric in _entity.Metrics)
            _rules[metric] = catalog.Metric(metric).Rule;
        await LoadRules();
        _received = new ReceivedPoints(state.State.Received);

        // Parents learn this unit's restored state after a restart, and its alerts reconcile with it.
        foreach (var metric in state.State.Latest.Keys) _changed.Add(metric);
        Refresh(time.GetUtcNow());
        _pump.MarkDirty(Build);
        // Even with nothing to report, the alerts wake up, so that escalation of open alerts goes on.
        if (_alertsSending.IsCompleted)
            AlertsChanged();

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
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SaveIfDirty();
        await Task.WhenAll(_pump.Drain(), _alertsSending);
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
            TrackTarget(point, point.Timestamp);
        }
        var now = time.GetUtcNow();
        state.State.LastReport = now;
        _stateDirty = true;
        Refresh(now);
        _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    public Task ApplyRules(UnitRules rules)
    {
        if (!SetRules(rules))
            return Task.CompletedTask;
        var now = time.GetUtcNow();
        foreach (var p in state.State.Latest.Values)
        {
            // A value that a new target now misses has been below target since the change.
            TrackTarget(p, now);
            _changed.Add(p.Metric);
        }
        Refresh(now);
        _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    public Task<UnitStanding> GetStanding()
    {
        var now = time.GetUtcNow();
        var locality = catalog.Entity(_entity.Locality!);
        var below = ImmutableArray.CreateBuilder<LowAchievement>();
        var missing = ImmutableArray.CreateBuilder<MissingReport>();
        foreach (var id in _entity.Metrics)
        {
            var metric = catalog.Metric(id);
            var hasValue = state.State.Latest.TryGetValue(id, out var p);
            if (hasValue && IsBelowTarget(p, now) && _rules[id].Target is { } target)
            {
                below.Add(new LowAchievement(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, metric.UnitOfMeasure,
                    p.Value, target.Value, target.Direction, target.GapTo(p.Value),
                    state.State.BelowTargetSince.GetValueOrDefault(id, p.Timestamp), p.Timestamp));
            }
            if (IsUnreported(id, now, out var kind, out var start))
            {
                missing.Add(new MissingReport(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, kind, start, hasValue ? p.Timestamp : null));
            }
        }
        return Task.FromResult(new UnitStanding(below.ToImmutable(), missing.ToImmutable()));
    }

    public Task<UnitIntake> GetIntake() => Task.FromResult(new UnitIntake(_entity.Id, _received.Total));

    public Task ResendToParents()
    {
        _pump.MarkAllDirty(Build);
        return Task.CompletedTask;
    }

    public Task<EntitySnapshot> GetSnapshot()
    {
        var now = time.GetUtcNow();
        var metrics = state.State.Latest.Values.Select(p => Judge(p, now)).ToImmutableArray();
        return Task.FromResult(new EntitySnapshot(
            _entity.Id, _pump.Sequence, _status, state.State.LastReport, metrics, [], StatusCounts.Of(_status), [], _belowTarget, _notReported));
    }

    private async Task LoadRules()
    {
        try
        {
            SetRules(await GrainFactory.GetGrain<ITargetsGrain>(0).RulesFor(_entity.Id));
        }
        catch (Exception ex)
        {
            // The catalog's rules hold until the targets can be read; the freshness timer tries again.
            logger.LogWarning(ex, "Unit {UnitId} could not read its targets; judging by the catalog until it can", _entity.Id);
        }
    }

    private bool SetRules(UnitRules rules)
    {
        if (rules.Version <= _rulesVersion)
            return false;
        _rulesVersion = rules.Version;
        foreach (var rule in rules.Metrics)
            if (_rules.ContainsKey(rule.Metric))
                _rules[rule.Metric] = rule;
        return true;
    }

    private async Task CheckFreshness(CancellationToken cancellationToken)
    {
        if (_rulesVersion < 0)
        {
            await LoadRules();
            if (_rulesVersion >= 0)
                foreach (var metric in state.State.Latest.Keys) _changed.Add(metric);
        }
        if (Refresh(time.GetUtcNow()))
            _pump.MarkDirty(Build);
        // A send to the alerts that failed is retried here.
        if (_alertsDirty && _alertsSending.IsCompleted)
            _alertsSending = SendConditions();
    }

    /// <summary>Re-judges the unit; marks what must be re-sent. True when anything changed.</summary>
    private bool Refresh(DateTimeOffset now)
    {
        _judgedAt = now;
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

        int below = 0, notReported = 0;
        foreach (var metric in _entity.Metrics)
        {
            if (state.State.Latest.TryGetValue(metric, out var p) && IsBelowTarget(p, now)) below++;
            if (IsUnreported(metric, now, out _, out _)) notReported++;
        }
        if (below != _belowTarget || notReported != _notReported)
        {
            (_belowTarget, _notReported) = (below, notReported);
            changed = true;
        }

        var conditions = Conditions(now);
        if (!conditions.Select(c => (c.Metric, c.Severity)).SequenceEqual(_conditions.Select(c => (c.Metric, c.Severity))))
        {
            _conditions = conditions;
            AlertsChanged();
        }
        return changed || _changed.Count > 0;
    }

    /// <summary>Notes when a value first missed its target, and forgets it once a value meets it.</summary>
    private void TrackTarget(MetricPoint p, DateTimeOffset firstMissedAt)
    {
        var since = state.State.BelowTargetSince;
        if (!_rules.TryGetValue(p.Metric, out var rule) || !rule.IsBelowTarget(p.Value))
        {
            if (since.Remove(p.Metric)) _stateDirty = true;
        }
        else if (since.TryAdd(p.Metric, firstMissedAt))
        {
            _stateDirty = true;
        }
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
            if (IsStale(p, now) || !_rules.TryGetValue(p.Metric, out var rule)) continue;
            var s = rule.Classify(p.Value);
            if (s > worst) worst = s;
        }
        return worst;
    }

    private bool IsStale(MetricPoint p, DateTimeOffset now) =>
        !catalog.TryGetMetric(p.Metric, out var m) || now - p.Timestamp > m.Interval * options.Value.OfflineGraceFactor;

    // Low achievement is judged on fresh values only, as the status is.
    private bool IsBelowTarget(MetricPoint p, DateTimeOffset now) =>
        _rules.TryGetValue(p.Metric, out var rule) && rule.IsBelowTarget(p.Value) && !IsStale(p, now);

    private bool IsUnreported(string metric, DateTimeOffset now, out ReportingPeriodKind kind, out DateTimeOffset start)
    {
        var definition = catalog.Metric(metric);
        kind = ReportingPeriod.Of(definition);
        start = ReportingPeriod.StartOf(kind, now);
        if (!definition.Indicator) return false;
        return !state.State.Latest.TryGetValue(metric, out var p) || p.Timestamp < start;
    }

    private bool Contributes(MetricPoint p, DateTimeOffset now) => _status != HealthStatus.Offline && !IsStale(p, now);

    private MetricValue Judge(MetricPoint p, DateTimeOffset now) =>
        new(p.Metric, p.Value, p.Timestamp, IsStale(p, now) || !_rules.TryGetValue(p.Metric, out var rule) ? HealthStatus.Offline : rule.Classify(p.Value));

    /// <summary>
    /// Every condition the unit can judge now: whether it is offline (once it has ever reported) and,
    /// for each fresh value, whether it breaches a threshold, a breach already told holding within the
    /// clear margin.
    /// </summary>
    private List<AlertCondition> Conditions(DateTimeOffset now)
    {
        var conditions = new List<AlertCondition>(_entity.Metrics.Length + 1);
        if (state.State.LastReport is not null)
            conditions.Add(new AlertCondition(null, _status == HealthStatus.Offline ? AlertSeverity.Offline : null, null, null));
        foreach (var metric in _entity.Metrics)
        {
            if (!state.State.Latest.TryGetValue(metric, out var p) || IsStale(p, now)) continue;
            var thresholds = _rules[metric].Thresholds;
            var held = _conditions.Find(c => c.Metric == metric)?.Severity switch
            {
                AlertSeverity.Critical => HealthStatus.Critical,
                AlertSeverity.Warning => HealthStatus.Warning,
                _ => HealthStatus.Ok,
            };
            conditions.Add((thresholds?.Classify(p.Value, held, alertOptions.Value.ClearMargin) ?? HealthStatus.Ok) switch
            {
                HealthStatus.Critical => new AlertCondition(metric, AlertSeverity.Critical, p.Value, thresholds!.Critical),
                HealthStatus.Warning => new AlertCondition(metric, AlertSeverity.Warning, p.Value, thresholds!.Warning),
                _ => new AlertCondition(metric, null, p.Value, null),
            });
        }
        return conditions;
    }

    private void AlertsChanged()
    {
        _alertsDirty = true;
        if (_alertsSending.IsCompleted)
            _alertsSending = SendConditions();
    }

    // At most one call to the alerts is in flight; it carries the conditions as they are when it leaves.
    private async Task SendConditions()
    {
        while (_alertsDirty)
        {
            _alertsDirty = false;
            try
            {
                await _alerts.Observe([.. _conditions]);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Unit {UnitId} could not tell its alerts what it breaches; retrying on the next freshness check", _entity.Id);
                _alertsDirty = true;
                return;
            }
        }
    }

    private (ChildReport Parent, EntityUpdate Wall) Build(long sequence, bool full)
    {
        var now = _judgedAt;
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
            new ChildReport(_entity.Id, _status, last, counts, partials.ToImmutable(), _belowTarget, _notReported),
            new EntityUpdate(_entity.Id, sequence, sequence, _status, last, values.ToImmutable(), [], counts, [], _belowTarget, _notReported));
    }
}
