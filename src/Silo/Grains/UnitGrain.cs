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
    ILogger<UnitGrain> logger) : HubGrain, IUnitGrain
{
    // The unit's metrics in catalog order; everything per metric below is indexed alike, looked up once
    // per activation rather than by name per point. Values of metrics the unit no longer reports (the
    // catalog changed) stay in its stored state but are neither judged nor rolled up.
    private string[] _metrics = [];
    private TimeSpan[] _staleAfter = [];
    private bool[] _indicator = [];
    private ReportingPeriodKind[] _period = [];
    private MetricRule[] _rules = [];
    // The newest point of each metric; state.State.Latest is brought up to date before each save.
    private MetricPoint[] _latest = [];
    private bool[] _has = [];
    // Metrics to send in the next update.
    private bool[] _changed = [];
    private int _changedCount;
    // Metrics whose values currently count in the parents' roll-ups: fresh values of an online unit.
    private bool[] _contributing = [];
    // Metrics in state.State.BelowTargetSince.
    private bool[] _missing = [];
    // The severity last told to the alerts per metric (index 0 is the unit's own, offline or not), and a
    // scratch copy that a re-judgement fills, so that an unchanged judgement allocates nothing.
    private AlertSeverity?[] _told = [];
    private bool[] _toldPresent = [];
    private AlertSeverity?[] _judged = [];
    private bool[] _judgedPresent = [];
    private long _rulesVersion = -1;
    // When the unit last registered with its targets shard (ITargetShardGrain), which answers its rules.
    private DateTimeOffset _rulesAskedAt;
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
    private ImmutableArray<AlertCondition> _conditions = [];
    private Task _alertsSending = Task.CompletedTask;
    private bool _alertsDirty;
    // When the unit was last judged: updates are built as of then, so that the status, the counts and the
    // values in one update always agree, even when the clock has moved on since.
    private DateTimeOffset _judgedAt;
    // What the parents' indexes were last told of the standing, per metric: whether it was below target or
    // unreported, and the point, period start and rule it was judged with. An update carries the standing
    // only when one of these differs, so a unit whose standing holds sends none with its values.
    private bool _standingSent;
    private bool[] _sentBelow = [];
    private bool[] _sentUnreported = [];
    private MetricPoint[] _sentPoint = [];
    private DateTimeOffset[] _sentPeriodStart = [];
    private MetricRule[] _sentRule = [];

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out _entity) || _entity.Kind != EntityKind.Unit)
            throw new InvalidOperationException($"'{id}' is not a unit in the catalog.");
        _metrics = [.. _entity.Metrics];
        var n = _metrics.Length;
        var definitions = _metrics.Select(catalog.Metric).ToArray();
        _staleAfter = [.. definitions.Select(m => Freshness.StaleAfter(m.Interval, options.Value.OfflineGraceFactor))];
        _indicator = [.. definitions.Select(m => m.Indicator)];
        _period = [.. definitions.Select(m => ReportingPeriod.Of(m.Interval))];
        _rules = [.. definitions.Select(m => m.Rule)];
        (_latest, _has, _changed, _contributing, _missing) = (new MetricPoint[n], new bool[n], new bool[n], new bool[n], new bool[n]);
        (_told, _toldPresent, _judged, _judgedPresent) = (new AlertSeverity?[n + 1], new bool[n + 1], new AlertSeverity?[n + 1], new bool[n + 1]);
        (_sentBelow, _sentUnreported, _sentPoint, _sentPeriodStart, _sentRule) = (new bool[n], new bool[n], new MetricPoint[n], new DateTimeOffset[n], new MetricRule[n]);
        _offlineAfter = _staleAfter.Min();
        _pump = new UpdatePump(id, catalog, GrainFactory, GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity), logger);
        _alerts = GrainFactory.GetGrain<IAlertsGrain>(id);
        await LoadRules();
        _received = new ReceivedPoints(state.State.Received);

        // Parents learn this unit's restored state after a restart, and its alerts reconcile with it.
        for (var i = 0; i < n; i++)
        {
            if (state.State.Latest.TryGetValue(_metrics[i], out var p))
            {
                (_latest[i], _has[i]) = (p, true);
                MarkChanged(i);
            }
            _missing[i] = state.State.BelowTargetSince.ContainsKey(_metrics[i]);
        }
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
        try
        {
            // One way: the shard's list is a hint, and the unit registers again if it comes back.
            await RulesShard.Unregister(_entity.Id);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Unit {UnitId} could not tell its targets shard it is going", _entity.Id);
        }
    }

    public Task Report(ImmutableArray<MetricPoint> points)
    {
        foreach (var point in points)
        {
            var i = IndexOf(point.Metric);
            // Ingest refuses a metric the unit does not report; nothing else calls here with one.
            if (i < 0)
                continue;
            _received.Count(_metrics[i], point.Timestamp);
            // "Latest" is the newest timestamp, not the last arrival.
            if (_has[i] && _latest[i].Timestamp > point.Timestamp)
                continue;
            (_latest[i], _has[i]) = (point, true);
            MarkChanged(i);
            TrackTarget(i, point.Timestamp);
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
        Rejudge(now);
        Refresh(now);
        _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    private void Rejudge(DateTimeOffset now)
    {
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (!_has[i]) continue;
            // A value that a new target now misses has been below target since the change.
            TrackTarget(i, now);
            MarkChanged(i);
        }
    }

    public Task<UnitStanding> GetStanding() => Task.FromResult(StandingAt(time.GetUtcNow()));

    public Task<UnitStandingEntry> GetStandingEntry() => Task.FromResult(new UnitStandingEntry(_entity.Id, _pump.Sequence, StandingAt(_judgedAt)));

    private UnitStanding StandingAt(DateTimeOffset now)
    {
        var locality = catalog.Entity(_entity.Locality!);
        var below = ImmutableArray.CreateBuilder<LowAchievement>();
        var missing = ImmutableArray.CreateBuilder<MissingReport>();
        for (var i = 0; i < _metrics.Length; i++)
        {
            var id = _metrics[i];
            var metric = catalog.Metric(id);
            var p = _latest[i];
            if (IsBelowTarget(i, now) && _rules[i].Target is { } target)
            {
                below.Add(new LowAchievement(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, metric.UnitOfMeasure,
                    p.Value, target.Value, target.Direction, target.GapTo(p.Value),
                    state.State.BelowTargetSince.GetValueOrDefault(id, p.Timestamp), p.Timestamp));
            }
            var start = ReportingPeriod.StartOf(_period[i], now);
            if (IsUnreported(i, start))
            {
                missing.Add(new MissingReport(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, _period[i], start, _has[i] ? p.Timestamp : null));
            }
        }
        return new UnitStanding(below.ToImmutable(), missing.ToImmutable());
    }

    /// <summary>Whether the standing differs from what the indexes were last told; notes it as told.</summary>
    private bool StandingChanged(DateTimeOffset now)
    {
        var changed = !_standingSent;
        for (var i = 0; i < _metrics.Length; i++)
        {
            var below = IsBelowTarget(i, now);
            var start = _indicator[i] ? ReportingPeriod.StartOf(_period[i], now) : default;
            var unreported = IsUnreported(i, start);
            if (below != _sentBelow[i] || unreported != _sentUnreported[i]
                || ((below || unreported) && (_latest[i] != _sentPoint[i] || start != _sentPeriodStart[i] || !ReferenceEquals(_rules[i], _sentRule[i]))))
                changed = true;
            (_sentBelow[i], _sentUnreported[i], _sentPoint[i], _sentPeriodStart[i], _sentRule[i]) = (below, unreported, _latest[i], start, _rules[i]);
        }
        return changed;
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
        var metrics = ImmutableArray.CreateBuilder<MetricValue>();
        for (var i = 0; i < _metrics.Length; i++)
            if (_has[i]) metrics.Add(Judge(i, now));
        return Task.FromResult(new EntitySnapshot(
            _entity.Id, _pump.Sequence, _status, state.State.LastReport, metrics.ToImmutable(), [], StatusCounts.Of(_status), [], _belowTarget, _notReported));
    }

    /// <summary>The index of <paramref name="metric"/> among the unit's metrics, or -1.</summary>
    private int IndexOf(string metric)
    {
        // Ids from the ingest path are the catalog's own strings, so the first loop nearly always answers.
        var metrics = _metrics;
        for (var i = 0; i < metrics.Length; i++)
            if (ReferenceEquals(metrics[i], metric)) return i;
        for (var i = 0; i < metrics.Length; i++)
            if (string.Equals(metrics[i], metric, StringComparison.Ordinal)) return i;
        return -1;
    }

    private void MarkChanged(int i)
    {
        if (_changed[i]) return;
        _changed[i] = true;
        _changedCount++;
    }

    private ITargetShardGrain RulesShard => GrainFactory.GetGrain<ITargetShardGrain>(TargetShards.ShardOf(catalog, _entity.Id));

    /// <summary>Registers with the shard, which answers newer rules if it has them; true when a rule changed.</summary>
    private async Task<bool> LoadRules()
    {
        _rulesAskedAt = time.GetUtcNow();
        try
        {
            return await RulesShard.Register(_entity.Id, _rulesVersion) is { } rules && SetRules(rules);
        }
        catch (Exception ex)
        {
            // The rules held (the catalog's at first) stay until the shard can be read; the freshness timer tries again.
            logger.LogWarning(ex, "Unit {UnitId} could not read its targets; judging by the rules it holds until it can", _entity.Id);
            return false;
        }
    }

    /// <summary>Takes newer rules; true when a rule changed, not only the version.</summary>
    private bool SetRules(UnitRules rules)
    {
        if (rules.Version <= _rulesVersion)
            return false;
        _rulesVersion = rules.Version;
        var changed = false;
        foreach (var rule in rules.Metrics)
            // An equal rule keeps its instance: the standing sent to the indexes compares rules by reference.
            if (IndexOf(rule.Metric) is var i and >= 0 && !rule.Equals(_rules[i]))
                (_rules[i], changed) = (rule, true);
        return changed;
    }

    private async Task CheckFreshness(CancellationToken cancellationToken)
    {
        // Registering again now and then keeps the unit on the list of a shard that was lost with its silo, and
        // brings rules a push did not deliver.
        if ((_rulesVersion < 0 || time.GetUtcNow() - _rulesAskedAt >= options.Value.RulesRefreshPeriod) && await LoadRules())
            Rejudge(time.GetUtcNow());
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

        int below = 0, notReported = 0;
        DateTimeOffset? day = null, month = null;
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (_has[i] && _contributing[i] != Contributes(i, now))
            {
                MarkChanged(i);
                changed = true;
            }
            if (IsBelowTarget(i, now)) below++;
            if (_indicator[i])
            {
                var start = _period[i] == ReportingPeriodKind.Daily
                    ? day ??= ReportingPeriod.StartOf(ReportingPeriodKind.Daily, now)
                    : month ??= ReportingPeriod.StartOf(ReportingPeriodKind.Monthly, now);
                if (IsUnreported(i, start)) notReported++;
            }
        }
        if (below != _belowTarget || notReported != _notReported)
        {
            (_belowTarget, _notReported) = (below, notReported);
            changed = true;
        }

        if (JudgeConditions(now))
        {
            _conditions = Conditions();
            AlertsChanged();
        }
        return changed || _changedCount > 0;
    }

    /// <summary>Notes when a value first missed its target, and forgets it once a value meets it.</summary>
    private void TrackTarget(int i, DateTimeOffset firstMissedAt)
    {
        var missed = _rules[i].IsBelowTarget(_latest[i].Value);
        if (missed == _missing[i]) return;
        _missing[i] = missed;
        var since = state.State.BelowTargetSince;
        if (missed) since.TryAdd(_metrics[i], firstMissedAt);
        else since.Remove(_metrics[i]);
        _stateDirty = true;
    }

    private async Task SaveIfDirty()
    {
        if (!_stateDirty) return;
        _stateDirty = false;
        for (var i = 0; i < _metrics.Length; i++)
            if (_has[i]) state.State.Latest[_metrics[i]] = _latest[i];
        _received.Flush();
        await state.WriteStateAsync();
    }

    private HealthStatus CurrentStatus(DateTimeOffset now)
    {
        if (Freshness.IsOffline(state.State.LastReport, _offlineAfter, now))
            return HealthStatus.Offline;
        var worst = HealthStatus.Ok;
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (!_has[i] || IsStale(i, now)) continue;
            worst = Judging.Worse(worst, _rules[i].Classify(_latest[i].Value));
        }
        return worst;
    }

    private bool IsStale(int i, DateTimeOffset now) => Freshness.IsStale(_latest[i].Timestamp, _staleAfter[i], now);

    private bool IsBelowTarget(int i, DateTimeOffset now) => _has[i] && Judging.IsLowAchievement(_rules[i], _latest[i].Value, IsStale(i, now));

    private bool IsUnreported(int i, DateTimeOffset periodStart) => _indicator[i] && ReportingPeriod.IsUnreported(_has[i] ? _latest[i].Timestamp : null, periodStart);

    private bool Contributes(int i, DateTimeOffset now) => Judging.Contributes(_status, IsStale(i, now));

    private MetricValue Judge(int i, DateTimeOffset now)
    {
        var p = _latest[i];
        return new(p.Metric, p.Value, p.Timestamp, Judging.StatusOf(_rules[i], p.Value, IsStale(i, now)));
    }

    /// <summary>
    /// Judges every condition the unit can judge now into the scratch arrays: whether it is offline (once it
    /// has ever reported) and, for each fresh value, whether it breaches a threshold, a breach already told
    /// holding within the clear margin. True when a severity differs from what the alerts were last told.
    /// </summary>
    private bool JudgeConditions(DateTimeOffset now)
    {
        var differs = false;
        _judgedPresent[0] = state.State.LastReport is not null;
        _judged[0] = AlertRules.UnitCondition(_status);
        differs |= _judgedPresent[0] != _toldPresent[0] || (_judgedPresent[0] && _judged[0] != _told[0]);
        for (var i = 0; i < _metrics.Length; i++)
        {
            var k = i + 1;
            _judgedPresent[k] = _has[i] && !IsStale(i, now);
            _judged[k] = null;
            if (_judgedPresent[k] && _rules[i].Thresholds is { } thresholds)
                _judged[k] = AlertRules.Breach(thresholds, _latest[i].Value, _toldPresent[k] ? _told[k] : null, alertOptions.Value.ClearMargin);
            differs |= _judgedPresent[k] != _toldPresent[k] || (_judgedPresent[k] && _judged[k] != _told[k]);
        }
        return differs;
    }

    /// <summary>The conditions just judged, with the values and thresholds behind them; they become what was told.</summary>
    private ImmutableArray<AlertCondition> Conditions()
    {
        var conditions = ImmutableArray.CreateBuilder<AlertCondition>(_metrics.Length + 1);
        if (_judgedPresent[0])
            conditions.Add(new AlertCondition(null, _judged[0], null, null));
        for (var i = 0; i < _metrics.Length; i++)
        {
            var k = i + 1;
            if (!_judgedPresent[k]) continue;
            var value = _latest[i].Value;
            conditions.Add(_judged[k] is { } severity
                ? new AlertCondition(_metrics[i], severity, value, AlertRules.ThresholdCrossed(_rules[i].Thresholds!, severity))
                : new AlertCondition(_metrics[i], null, value, null));
        }
        Array.Copy(_judged, _told, _told.Length);
        Array.Copy(_judgedPresent, _toldPresent, _toldPresent.Length);
        return conditions.ToImmutable();
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
                await _alerts.Observe(_conditions);
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
            for (var i = 0; i < _metrics.Length; i++)
                if (_has[i]) MarkChanged(i);
        var partials = ImmutableArray.CreateBuilder<MetricPartial>(_changedCount);
        var values = ImmutableArray.CreateBuilder<MetricValue>(_changedCount);
        for (var i = 0; i < _metrics.Length && _changedCount > 0; i++)
        {
            if (!_changed[i]) continue;
            _changed[i] = false;
            _changedCount--;
            if (!_has[i]) continue;
            var p = _latest[i];
            values.Add(Judge(i, now));
            _contributing[i] = Contributes(i, now);
            partials.Add(_contributing[i]
                ? MetricPartial.Of(_metrics[i], p.Value, p.Timestamp)
                // An empty partial withdraws this unit's contribution.
                : MetricPartial.Empty(_metrics[i]));
        }
        var counts = StatusCounts.Of(_status);
        var last = state.State.LastReport;
        UnitStandingEntry? standing = null;
        if (StandingChanged(now) || full)
        {
            standing = new UnitStandingEntry(_entity.Id, sequence, StandingAt(now));
            _standingSent = true;
        }
        return (
            new ChildReport(_entity.Id, _status, last, counts, partials.ToImmutable(), _belowTarget, _notReported, standing),
            new EntityUpdate(_entity.Id, sequence, sequence, _status, last, values.ToImmutable(), [], counts, [], _belowTarget, _notReported));
    }
}
