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

    /// <summary>
    /// Whether the unit's alerts may hold an open alert: set before it tells them of a breach, and then to what they
    /// answer. While it is false and the unit breaches nothing, its alerts are not woken.
    /// </summary>
    [Id(4)] public bool AlertsOpen { get; set; }
}

/// <summary>
/// One reporting unit. Keeps the newest value of each metric, judges it by the targets and thresholds
/// in force, and tells its parents and the wall what changed, coalesced so that a burst becomes a
/// handful of calls up the tree. Changes in what it breaches go to its alerts.
/// </summary>
public sealed class UnitGrain(
    [PersistentState("unit", StateStorage.Name)] IPersistentState<UnitState> state,
    Catalog catalog,
    IOptions<HubOptions> options,
    IOptions<AlertOptions> alertOptions,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<UnitGrain> logger) : YieldingGrain, IUnitGrain
{
    // The unit's metrics and what is judged of them; values of metrics the unit no longer reports (the catalog
    // changed) stay in its stored state but are neither judged nor rolled up.
    private UnitBook _book = null!;
    private long _rulesVersion = -1;
    // When the unit last registered with its targets shard (ITargetShardGrain), which answers its rules.
    private DateTimeOffset _rulesAskedAt;
    private CatalogEntity _entity = null!;
    private UpdatePump _pump = null!;
    private ReceivedPoints _received = null!;
    private bool _stateDirty;
    private IAlertsGrain _alerts = null!;
    // The conditions the alerts are told about; sent again only when a severity in them changes.
    private ImmutableArray<AlertCondition> _conditions = [];
    private Task _alertsSending = Task.CompletedTask;
    private bool _alertsDirty;
    // Where the co-hosted live path finds this activation; null when the process has no registry (or it is off).
    private LocalUnits? _localUnits;
    private LocalUnit? _local;
    // Set as deactivation begins: points handed over in-process after that go to the next activation by a call.
    private bool _leaving;
    // Set while the state is being written, on another thread: points handed over in-process meanwhile go by a
    // call, which waits for the save's turn to end, so that the state does not change under the writer.
    private bool _saving;
    // The one timer's period, its clock, and when its two jobs last ran on that clock.
    private SharedTicks _ticks;
    private TimeProvider _timers = null!;
    private long _checkedAt;
    private long _savedAt;
    private Task _rulesLoading = Task.CompletedTask;

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out _entity) || _entity.Kind != EntityKind.Unit)
            throw new InvalidOperationException($"'{id}' is not a unit in the catalog.");
        // The entity's own id strings, which the ingest path passes on, so that a point is matched by reference.
        var metrics = _entity.Metrics.Select(metric => (Id: metric, Definition: catalog.Metric(metric))).Select(m => new UnitMetric(
            m.Id, Freshness.StaleAfter(m.Definition.Interval, options.Value.OfflineGraceFactor), m.Definition.Indicator,
            ReportingPeriod.Of(m.Definition.Interval), m.Definition.Rule));
        _book = new UnitBook([.. metrics], state.State.BelowTargetSince, alertOptions.Value.ClearMargin);
        _pump = new UpdatePump(id, catalog, GrainFactory, GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity),
            ServiceProvider.GetRequiredService<UpwardReports>(), logger);
        _alerts = GrainFactory.GetGrain<IAlertsGrain>(id);
        await LoadRules();
        _received = new ReceivedPoints(state.State.Received, [.. Enumerable.Range(0, _book.Count).Select(_book.MetricAt)]);

        // Parents learn this unit's restored state after a restart, and its alerts reconcile with it.
        for (var i = 0; i < _book.Count; i++)
            if (state.State.Latest.TryGetValue(_book.MetricAt(i), out var p))
                _book.Restore(i, p.Value, p.Timestamp);
        Refresh(time.GetUtcNow());
        _pump.MarkDirty(Build);
        // Alerts that hold an open alert hear the conditions even when nothing is breached, so that they clear what no
        // longer holds and escalate what does. Alerts that hold none are not woken for a unit that breaches nothing:
        // at 20,000 units, half the silo's activations were alerts grains woken that way, holding nothing.
        if (state.State.AlertsOpen)
            AlertsChanged();

        // One timer for the freshness check and the save: at 20,000 units, the runtime's timer queue firing two per
        // unit took 8 % of the hub's CPU, and one 5 % (docs/design/memory.md). It keeps the unit active, so that a unit
        // gone silent is seen going offline; and its turn does not interleave, so that nothing changes the state while
        // it is written.
        _ticks = SharedTicks.Of(options.Value.FreshnessCheckPeriod, options.Value.StateSavePeriod);
        _timers = ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        _checkedAt = _savedAt = _timers.GetTimestamp();
        this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions { DueTime = _ticks.Tick, Period = _ticks.Tick, KeepAlive = true });
        // Last, once the unit can take points: from here the live path may hand them over without a call.
        _localUnits = ServiceProvider.GetService<LocalUnits>();
        _local = _localUnits?.Add(id, this.AsReference<IUnitGrain>(), TakeHere);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // First, before anything awaits: a work item already queued for this activation runs after this and
        // passes its points on by a call, and no new one is queued here.
        _leaving = true;
        _localUnits?.Remove(_entity.Id, _local);
        await SaveIfDirty();
        await UpdatePump.Settle(Task.WhenAll(_pump.Drain(), _alertsSending, _rulesLoading), reason);
        // Not as the silo shuts down: a shard that went first cannot be placed again then, and Orleans logged an error
        // for each unit (20,000 on a province's hub). The list is a hint: a stale entry costs a push at the next rule
        // change, and the unit registers again wherever it next activates.
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
            return;
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
            var i = _book.IndexOf(point.Metric);
            // Ingest refuses a metric the unit does not report; nothing else calls here with one.
            if (i < 0)
                continue;
            _received.Count(i, point.Timestamp);
            _book.Record(i, point.Value, point.Timestamp);
        }
        var now = time.GetUtcNow();
        state.State.LastReport = now;
        _stateDirty = true;
        Refresh(now);
        _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    // Points the live path handed over in-process, on this activation's scheduler, where they interleave with a
    // turn that awaits; false (the points go by a call instead) while the turn awaiting is one they must not enter.
    private bool TakeHere(ImmutableArray<MetricPoint> points)
    {
        if (_leaving || _saving)
            return false;
        Report(points);
        return true;
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

    // A value that a new target now misses has been below target since the change.
    private void Rejudge(DateTimeOffset now) => _stateDirty |= _book.RulesChanged(now);

    public Task<UnitStanding> GetStanding() => Task.FromResult(StandingAt(time.GetUtcNow()));

    public Task<UnitStandingEntry> GetStandingEntry() => Task.FromResult(new UnitStandingEntry(_entity.Id, _pump.Sequence, StandingAt(_book.JudgedAt)));

    private UnitStanding StandingAt(DateTimeOffset now)
    {
        var locality = catalog.Entity(_entity.Locality!);
        var below = ImmutableArray.CreateBuilder<LowAchievement>();
        var missing = ImmutableArray.CreateBuilder<MissingReport>();
        for (var i = 0; i < _book.Count; i++)
        {
            var id = _book.MetricAt(i);
            var metric = catalog.Metric(id);
            var (value, timestamp) = (_book.ValueAt(i), _book.TimestampAt(i));
            if (_book.IsBelowTarget(i, now) && _book.RuleAt(i).Target is { } target)
            {
                below.Add(new LowAchievement(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, metric.UnitOfMeasure,
                    value, target.Value, target.Direction, target.GapTo(value), _book.BelowTargetSince(i), timestamp));
            }
            var period = _book.PeriodOf(i);
            var start = ReportingPeriod.StartOf(period, now);
            if (_book.IsUnreported(i, start))
            {
                missing.Add(new MissingReport(
                    _entity.Id, _entity.Name, locality.Id, locality.Name, id, metric.Name, period, start, _book.Has(i) ? timestamp : null));
            }
        }
        return new UnitStanding(below.ToImmutable(), missing.ToImmutable());
    }

    public Task<UnitIntake> GetIntake() => Task.FromResult(new UnitIntake(_entity.Id, _received.Total));

    public Task AlertsOpen()
    {
        MarkAlertsOpen(true);
        AlertsChanged();
        return Task.CompletedTask;
    }

    public Task ResendToParents()
    {
        _pump.MarkAllDirty(Build);
        return Task.CompletedTask;
    }

    public Task<EntitySnapshot> GetSnapshot()
    {
        var now = time.GetUtcNow();
        var metrics = ImmutableArray.CreateBuilder<MetricValue>();
        for (var i = 0; i < _book.Count; i++)
            if (_book.Has(i)) metrics.Add(new(_book.MetricAt(i), _book.ValueAt(i), _book.TimestampAt(i), _book.StatusOf(i, now)));
        var status = _book.Status;
        return Task.FromResult(new EntitySnapshot(
            _entity.Id, _pump.Sequence, status, state.State.LastReport, metrics.ToImmutable(), [], StatusCounts.Of(status), [], _book.BelowTarget, _book.NotReported));
    }

    private int IndexOf(string metric) => _book.IndexOf(metric);

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
            if (IndexOf(rule.Metric) is var i and >= 0 && !rule.Equals(_book.RuleAt(i)))
            {
                _book.SetRule(i, rule);
                changed = true;
            }
        return changed;
    }

    private Task Tick(CancellationToken cancellationToken)
    {
        // On the timer's own clock, which is the hub's clock only in tests that move it.
        if (_ticks.Runs(options.Value.FreshnessCheckPeriod, _timers.GetElapsedTime(_checkedAt)))
        {
            _checkedAt = _timers.GetTimestamp();
            CheckFreshness();
        }
        if (!_ticks.Runs(options.Value.StateSavePeriod, _timers.GetElapsedTime(_savedAt)))
            return Task.CompletedTask;
        _savedAt = _timers.GetTimestamp();
        return SaveIfDirty();
    }

    private void CheckFreshness()
    {
        // Registering again now and then keeps the unit on the list of a shard that was lost with its silo, and
        // brings rules a push did not deliver. Not awaited here: the shard may push rules to this unit meanwhile,
        // and this turn does not interleave.
        if ((_rulesVersion < 0 || time.GetUtcNow() - _rulesAskedAt >= options.Value.RulesRefreshPeriod) && _rulesLoading.IsCompleted)
            _rulesLoading = ReloadRules();
        if (Refresh(time.GetUtcNow()))
            _pump.MarkDirty(Build);
        // A send to the alerts that failed is retried here.
        if (_alertsDirty && _alertsSending.IsCompleted)
            _alertsSending = SendConditions();
    }

    private async Task ReloadRules()
    {
        if (!await LoadRules())
            return;
        var now = time.GetUtcNow();
        Rejudge(now);
        Refresh(now);
        _pump.MarkDirty(Build);
    }

    /// <summary>Re-judges the unit; marks what must be re-sent and tells the alerts what changed. True when anything changed.</summary>
    private bool Refresh(DateTimeOffset now)
    {
        var judgement = _book.Judge(now, state.State.LastReport);
        if (judgement.ConditionsChanged)
        {
            _conditions = [.. judgement.Conditions.Select(c => new AlertCondition(c.Metric, c.Severity, c.Value, c.Threshold))];
            AlertsChanged();
        }
        return judgement.Changed;
    }

    private async Task SaveIfDirty()
    {
        if (!_stateDirty) return;
        _stateDirty = false;
        for (var i = 0; i < _book.Count; i++)
            if (_book.Has(i)) state.State.Latest[_book.MetricAt(i)] = new MetricPoint(_book.MetricAt(i), _book.ValueAt(i), _book.TimestampAt(i));
        _received.Flush();
        _saving = true;
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            _saving = false;
        }
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
            var conditions = _conditions;
            var breaches = conditions.Any(c => c.Severity is not null);
            // Alerts with nothing open would change nothing for conditions that breach nothing.
            if (!breaches && !state.State.AlertsOpen)
                continue;
            // Stored with the next save even if the answer is lost: the next activation then wakes the alerts.
            if (breaches)
                MarkAlertsOpen(true);
            try
            {
                MarkAlertsOpen(await _alerts.Observe(conditions));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Unit {UnitId} could not tell its alerts what it breaches; retrying on the next freshness check", _entity.Id);
                _alertsDirty = true;
                return;
            }
        }
    }

    private void MarkAlertsOpen(bool open)
    {
        if (state.State.AlertsOpen == open)
            return;
        state.State.AlertsOpen = open;
        _stateDirty = true;
    }

    private (ChildReport Parent, EntityUpdate Wall) Build(long sequence, bool full)
    {
        var changes = _book.TakeChanges(full);
        var partials = ImmutableArray.CreateBuilder<MetricPartial>(changes.Length);
        var values = ImmutableArray.CreateBuilder<MetricValue>(changes.Length);
        foreach (var c in changes)
        {
            values.Add(new MetricValue(c.Metric, c.Value, c.Timestamp, c.Status));
            partials.Add(c.Partial);
        }
        var status = _book.Status;
        var counts = StatusCounts.Of(status);
        var last = state.State.LastReport;
        var standing = _book.TakeStandingChange(full) ? new UnitStandingEntry(_entity.Id, sequence, StandingAt(_book.JudgedAt)) : null;
        return (
            new ChildReport(_entity.Id, status, last, counts, partials.MoveToImmutable(), _book.BelowTarget, _book.NotReported, standing),
            new EntityUpdate(_entity.Id, sequence, sequence, status, last, values.MoveToImmutable(), [], counts, [], _book.BelowTarget, _book.NotReported));
    }
}
