using System.Collections.Immutable;
using Ioc.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Ioc.Silo.Grains;

/// <summary>
/// A unit's alerts, each with its audit trail: the open ones and the newest cleared ones, and where the older cleared
/// ones are. Written on every change, so it holds fewer than a page of cleared alerts: what a change costs to store does
/// not grow with the unit's history.
/// </summary>
[GenerateSerializer]
public sealed class AlertsState
{
    /// <summary>The number in the last alert id handed out.</summary>
    [Id(0)] public int LastNumber { get; set; }

    /// <summary>The open alerts and the cleared ones not yet moved to a page, oldest first.</summary>
    [Id(1)] public List<AlertRecord> Alerts { get; set; } = [];

    /// <summary>The numbers of the stored pages of older cleared alerts, oldest first.</summary>
    [Id(2)] public List<int> Pages { get; set; } = [];

    /// <summary>The number the next page is stored under.</summary>
    [Id(3)] public int NextPage { get; set; }
}

/// <summary>
/// Cleared alerts moved out of a unit's <see cref="AlertsState"/> together and stored once, under a name of their own
/// (<c>alerts-page-{number}</c> of the same grain). A cleared alert never changes again; the page is only read back when
/// the unit's alerts activate, and deleted when pruning has taken all of it.
/// </summary>
[GenerateSerializer]
public sealed class AlertsPage
{
    /// <summary>The cleared alerts, in the order they were kept.</summary>
    [Id(0)] public List<AlertRecord> Alerts { get; set; } = [];
}

/// <summary>One alert and everything that happened to it.</summary>
[GenerateSerializer]
public sealed class AlertRecord
{
    /// <summary>The alert now.</summary>
    [Id(0)] public Alert Alert { get; set; } = null!;

    /// <summary>Its audit trail, oldest first.</summary>
    [Id(1)] public List<AlertEvent> Trail { get; set; } = [];
}

/// <summary>
/// The alerts of one unit. Its unit tells it which conditions hold; it raises, re-grades and clears
/// alerts to match, stores every change before answering, and pushes each change to the screens.
/// While an alert is unacknowledged a timer on the hub's clock waits for it to come due for escalation.
/// Every change reaches the indexes of the unit's parents before the screens hear of it, so a list read
/// after a screen saw an alert, or after an acknowledgement returned, has it.
/// </summary>
public sealed class AlertsGrain(
    [PersistentState("alerts", StateStorage.Name)] IPersistentState<AlertsState> state,
    [FromKeyedServices(StateStorage.Name)] IGrainStorage storage,
    Catalog catalog,
    IOptions<AlertOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<AlertsGrain> logger) : YieldingGrain, IAlertsGrain
{
    private const string SystemActor = "system";
    /// <summary>Cleared alerts moved out of the state together, once this many have gathered in it.</summary>
    public const int PageSize = 16;
    // The stored pages, oldest first: each one's stored state (for its ETag; its alerts are not kept in memory) and what
    // pruning has left of its alerts, without their trails, which are read from the page when asked for.
    private readonly List<(int Number, GrainState<AlertsPage> Stored, List<Alert> Alerts)> _pages = [];
    // The pages' alerts as sent to the indexes with every change, made again only when a page is added or pruned.
    private ImmutableArray<Alert> _paged;
    private CatalogEntity _unit = null!;
    private IGrainTimer? _escalation;
    private bool _unsaved;
    private IScopeIndex[] _indexes = [];
    // The revision of the list last sent to the indexes, and of the last one they all took. It starts from
    // the activation time in microseconds, on the real clock, so it keeps rising across reactivations.
    private long _revision = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    private long _indexed;
    private Task _indexRetry = Task.CompletedTask;

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out _unit) || _unit.Kind != EntityKind.Unit)
            throw new InvalidOperationException($"'{id}' is not a unit in the catalog.");
        _indexes = [.. catalog.ParentsOf(id).Select(p => (IScopeIndex)GrainFactory.RollupFor(catalog.Entity(p)))];
        _indexed = _revision;
        foreach (var number in state.State.Pages)
        {
            var page = await ReadPage(number);
            _pages.Add((number, page, page.State?.Alerts.ConvertAll(r => r.Alert) ?? []));
            page.State = new AlertsPage();
        }
        // What was kept is pruned again now, by the same rule: a page outlives some of its alerts until it goes whole.
        Prune();
        // Alerts restored after a restart go on escalating.
        ArmEscalation();
        // Indexes that outlived this activation may hold a change that was never stored; they learn what was.
        if (state.State.LastNumber > 0)
            UpdateIndexes().Ignore();
        // The unit wakes its alerts only while it breaches something or knows of an open alert. Should it not know
        // (it was lost before it stored that it raised one), it learns here, and its conditions clear what no longer holds.
        if (AnyOpen)
            GrainFactory.GetGrain<IUnitGrain>(id).AlertsOpen().Ignore();
    }

    private static string PageName(int number) => $"alerts-page-{number}";

    /// <summary>A stored page with its ETag; an empty page when none is stored under <paramref name="number"/>.</summary>
    private async Task<GrainState<AlertsPage>> ReadPage(int number)
    {
        var page = new GrainState<AlertsPage>(new AlertsPage());
        await storage.ReadStateAsync(PageName(number), this.GetGrainId(), page);
        return page;
    }

    /// <summary>A kept alert of the pages, or null.</summary>
    private (int Number, Alert Alert)? Paged(string alertId)
    {
        foreach (var (number, _, alerts) in _pages)
            if (alerts.Find(a => a.Id == alertId) is { } alert)
                return (number, alert);
        return null;
    }

    private bool AnyOpen => state.State.Alerts.Exists(r => r.Alert.IsOpen);

    public async Task<bool> Observe(ImmutableArray<AlertCondition> conditions)
    {
        var now = time.GetUtcNow();
        var changed = new List<AlertRecord>();
        foreach (var condition in conditions)
        {
            var open = state.State.Alerts.FirstOrDefault(r => r.Alert.IsOpen && r.Alert.Metric == condition.Metric);
            switch (AlertRules.Decide(open?.Alert.Severity, condition.Severity))
            {
                case AlertChange.Clear:
                    Change(open!, a => a with { State = AlertState.Cleared, ClearedAt = now }, new AlertEvent(
                        now, AlertAction.Cleared, SystemActor, open!.Alert.Severity, condition.Value,
                        condition.Metric is null ? "the unit reports again" : "the value is back within its thresholds"));
                    changed.Add(open);
                    break;
                case AlertChange.Raise:
                    changed.Add(Raise(condition, condition.Severity!.Value, now));
                    break;
                case AlertChange.ChangeSeverity:
                    var severity = condition.Severity!.Value;
                    Change(open!, a => a with { Severity = severity, Value = condition.Value, Threshold = condition.Threshold }, new AlertEvent(
                        now, AlertAction.SeverityChanged, SystemActor, severity, condition.Value, null));
                    changed.Add(open!);
                    break;
            }
        }
        if (changed.Count == 0 && !_unsaved)
            return AnyOpen;
        Prune();
        await UpdateIndexes();
        Publish(changed);
        ArmEscalation();
        // A failed write reaches the unit, which sends its conditions again; the changes are kept and written then.
        await Save();
        return AnyOpen;
    }

    public Task<ImmutableArray<Alert>> GetAlerts() => Task.FromResult(Listed());

    public Task<UnitAlerts> GetUnitAlerts() => Task.FromResult(new UnitAlerts(_unit.Id, ++_revision, Listed()));

    public Task ResendToIndexes() => UpdateIndexes();

    public async Task<AlertDetail?> GetAlert(string alertId)
    {
        if (Find(alertId) is { } record)
            return new AlertDetail(record.Alert, [.. record.Trail]);
        if (Paged(alertId) is not var (number, alert))
            return null;
        // A cleared alert's trail is read from its page: what a supervisor opens now and then is not kept in memory.
        var page = await ReadPage(number);
        var trail = page.State?.Alerts.Find(r => r.Alert.Id == alertId)?.Trail ?? [];
        return new AlertDetail(alert, [.. trail]);
    }

    public async Task<AckResult> Acknowledge(string alertId, string by, string? comment)
    {
        if (Find(alertId) is not { } record)
            return Paged(alertId) is var (_, cleared) ? new AckResult(AckOutcome.NotActive, cleared) : new AckResult(AckOutcome.NotFound, null);
        if (!AlertRules.CanAcknowledge(record.Alert.State))
            return new AckResult(AckOutcome.NotActive, record.Alert);

        var now = time.GetUtcNow();
        var before = record.Alert;
        Change(record, a => a with { State = AlertState.Acknowledged, AcknowledgedBy = by, AcknowledgedAt = now, Comment = comment },
            new AlertEvent(now, AlertAction.Acknowledged, by, before.Severity, before.Value, comment));
        try
        {
            await Save();
        }
        catch
        {
            // A person's acknowledgement is either stored or not made at all.
            record.Alert = before;
            record.Trail.RemoveAt(record.Trail.Count - 1);
            throw;
        }
        await UpdateIndexes();
        Publish([record]);
        ArmEscalation();
        return new AckResult(AckOutcome.Acknowledged, record.Alert);
    }

    private async Task CheckEscalation(CancellationToken cancellationToken)
    {
        // One-shot: this tick ends the timer, and ArmEscalation sets the next one from what is left.
        _escalation?.Dispose();
        _escalation = null;
        var now = time.GetUtcNow();
        var after = options.Value.EscalateAfter;
        var changed = new List<AlertRecord>();
        foreach (var record in state.State.Alerts)
        {
            var alert = record.Alert;
            if (!AlertRules.IsDueForEscalation(alert.State, alert.Escalated, alert.RaisedAt, after, now)) continue;
            Change(record, a => a with { Escalated = true }, new AlertEvent(
                now, AlertAction.Escalated, SystemActor, alert.Severity, alert.Value, $"unacknowledged for more than {after}"));
            changed.Add(record);
            logger.LogWarning("Alert {AlertId} on {UnitId} escalated: unacknowledged since {RaisedAt}", record.Alert.Id, _unit.Id, alert.RaisedAt);
        }
        if (changed.Count > 0)
            await UpdateIndexes();
        Publish(changed);
        ArmEscalation();
        if (changed.Count == 0 && !_unsaved)
            return;
        try
        {
            await Save();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not store the escalation of alerts on {UnitId}; retrying on the next change", _unit.Id);
        }
    }

    private AlertRecord Raise(AlertCondition condition, AlertSeverity severity, DateTimeOffset now)
    {
        var number = ++state.State.LastNumber;
        var metricName = condition.Metric is { } m && catalog.TryGetMetric(m, out var metric) ? metric.Name : null;
        var record = new AlertRecord
        {
            Alert = new Alert(
                AlertIds.Of(_unit.Id, number), _unit.Id, _unit.Name, condition.Metric, metricName, severity, AlertState.Active,
                condition.Value, condition.Threshold, now, null, null, null, false, null, 1),
            Trail = [new AlertEvent(now, AlertAction.Raised, SystemActor, severity, condition.Value, null)],
        };
        state.State.Alerts.Add(record);
        logger.LogInformation("Alert {AlertId} raised on {UnitId}: {Severity} {Metric} {Value}", record.Alert.Id, _unit.Id, severity, condition.Metric, condition.Value);
        return record;
    }

    private static void Change(AlertRecord record, Func<Alert, Alert> change, AlertEvent entry)
    {
        record.Alert = change(record.Alert) with { Version = record.Alert.Version + 1 };
        record.Trail.Add(entry);
    }

    /// <summary>Every alert kept, as the indexes take them: the pages' made once per page change, then the state's.</summary>
    private ImmutableArray<Alert> Listed()
    {
        if (_paged.IsDefault)
            _paged = [.. _pages.SelectMany(p => p.Alerts)];
        var list = ImmutableArray.CreateBuilder<Alert>(_paged.Length + state.State.Alerts.Count);
        list.AddRange(_paged);
        foreach (var record in state.State.Alerts)
            list.Add(record.Alert);
        return list.MoveToImmutable();
    }

    /// <summary>An alert of the state (every open one, and the newest cleared), or null.</summary>
    private AlertRecord? Find(string alertId) => state.State.Alerts.Find(r => r.Alert.Id == alertId);

    /// <summary>
    /// Sends every kept alert to the indexes of the unit's parents. A failure does not fail the change, which
    /// is made and will be stored: the newest list is sent again every second, in the background, until taken.
    /// </summary>
    private async Task UpdateIndexes()
    {
        var alerts = new UnitAlerts(_unit.Id, ++_revision, Listed());
        try
        {
            await Task.WhenAll(_indexes.Select(i => i.AlertsChanged(alerts)));
            _indexed = Math.Max(_indexed, alerts.Revision);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The alerts of {UnitId} could not reach the indexes of its parents; retrying", _unit.Id);
            if (_indexRetry.IsCompleted)
                _indexRetry = RetryIndexes();
        }
    }

    private async Task RetryIndexes()
    {
        while (_indexed < _revision)
        {
            // Real time: this waits for the network, not for anything in the domain.
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (_indexed < _revision)
                await UpdateIndexes();
        }
    }

    private void Publish(List<AlertRecord> changed)
    {
        var notifier = GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity);
        foreach (var record in changed)
            notifier.PublishAlert(record.Alert).Ignore();
    }

    /// <summary>
    /// Sets the escalation timer on the hub's clock for the first unacknowledged alert due to escalate,
    /// or clears it when none is. The timer never waits longer than the check period, so that it keeps
    /// this activation alive while an alert may yet escalate.
    /// </summary>
    private void ArmEscalation()
    {
        _escalation?.Dispose();
        _escalation = null;
        DateTimeOffset? first = null;
        foreach (var record in state.State.Alerts)
            if (record.Alert is { State: AlertState.Active, Escalated: false } a && (first is null || a.RaisedAt < first))
                first = a.RaisedAt;
        if (first is not { } raisedAt)
            return;
        var wait = AlertRules.EscalationWait(raisedAt, options.Value.EscalateAfter, options.Value.EscalationCheckPeriod, time.GetUtcNow());
        _escalation = this.RegisterGrainTimer(CheckEscalation, new GrainTimerCreationOptions
        {
            DueTime = wait,
            Period = Timeout.InfiniteTimeSpan,
            KeepAlive = true,
        });
    }

    private async Task Save()
    {
        Prune();
        List<(int Number, GrainState<AlertsPage> Stored, List<Alert> Alerts)> gone;
        try
        {
            // A page is stored before the state that names it, and deleted after the state that no longer does: a crash
            // between the two leaves a page nobody names, written over by the next page of that number or, once pruned,
            // left unused. A state never names a page that is not stored.
            await SealPage();
            gone = _pages.Where(p => p.Alerts.Count == 0).ToList();
            if (gone.Count > 0)
            {
                _pages.RemoveAll(p => p.Alerts.Count == 0);
                state.State.Pages.RemoveAll(number => gone.Exists(p => p.Number == number));
            }
            await state.WriteStateAsync();
            _unsaved = false;
        }
        catch
        {
            _unsaved = true;
            throw;
        }
        // The change is stored; a page that could not be deleted is named by nothing and only takes room.
        foreach (var (number, stored, _) in gone)
        {
            try
            {
                await storage.ClearStateAsync(PageName(number), this.GetGrainId(), stored);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not delete page {Page} of the pruned alerts of {UnitId}; it is left unused", number, _unit.Id);
            }
        }
    }

    /// <summary>Moves the cleared alerts out of the state into a new page once a page of them has gathered there.</summary>
    private async Task SealPage()
    {
        var cleared = state.State.Alerts.Where(r => r.Alert.State == AlertState.Cleared).ToList();
        if (cleared.Count < PageSize)
            return;
        var number = state.State.NextPage;
        // Read first: a page of this number may be left from a write whose state was never stored, and is written over.
        var page = await ReadPage(number);
        page.State = new AlertsPage { Alerts = cleared };
        await storage.WriteStateAsync(PageName(number), this.GetGrainId(), page);
        state.State.Alerts.RemoveAll(r => r.Alert.State == AlertState.Cleared);
        state.State.Pages.Add(number);
        state.State.NextPage = number + 1;
        _pages.Add((number, page, cleared.ConvertAll(r => r.Alert)));
        page.State = new AlertsPage();
        _paged = default;
    }

    /// <summary>
    /// Drops cleared alerts older than the retention, then the oldest beyond the most kept per unit, from the pages
    /// (oldest first) and the state alike. A page holds alerts cleared after all those of the pages before it, so only
    /// the pages the cut-off reaches into are looked through: what this costs does not grow with the pages kept.
    /// </summary>
    private void Prune()
    {
        var cutoff = time.GetUtcNow() - options.Value.ClearedRetention;
        foreach (var (_, _, alerts) in _pages)
        {
            var before = alerts.Count;
            if (before == 0)
                continue;
            alerts.RemoveAll(a => a.ClearedAt < cutoff);
            // Nothing in this page was old enough: nothing in a later one is.
            if (alerts.Count == before)
                break;
            _paged = default;
        }
        var paged = 0;
        foreach (var page in _pages)
            paged += page.Alerts.Count;
        var excess = paged + state.State.Alerts.Count(r => r.Alert.State == AlertState.Cleared) - options.Value.MaxClearedPerUnit;
        for (var i = 0; excess > 0 && i < _pages.Count; i++)
        {
            var alerts = _pages[i].Alerts;
            var take = Math.Min(excess, alerts.Count);
            alerts.RemoveRange(0, take);
            _paged = default;
            excess -= take;
            paged -= take;
        }
        AlertRules.Prune(state.State.Alerts, r => r.Alert.State, r => r.Alert.ClearedAt, time.GetUtcNow(), options.Value.ClearedRetention,
            options.Value.MaxClearedPerUnit - paged);
    }
}
