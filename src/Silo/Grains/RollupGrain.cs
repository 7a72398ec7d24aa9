using System.Collections.Immutable;
using Ioc.Contracts;
using Microsoft.Extensions.Options;

namespace Ioc.Silo.Grains;

/// <summary>
/// Rolls up the children of a locality, a department, a project or the province: each metric by its
/// roll-up kind, units by status, and the counts of indicators below target and not reported.
/// Roll-ups are recomputed only for metrics that changed, once per send, however many child reports
/// arrived meanwhile. A roll-up with units among its children is also their index: it keeps each unit's
/// standing and alerts as they change, so that lists of a scope never ask its units (docs/design/indexes.md).
/// </summary>
public abstract class RollupGrain(Catalog catalog, IOptions<HubOptions> options, ILogger logger) : YieldingGrain, IRollupGrain
{
    private sealed class Child(int index)
    {
        public readonly int Index = index;
        public HealthStatus Status = HealthStatus.Offline;
        public ScopeTally Tally;
    }

    private readonly Dictionary<string, Child> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RollupValue> _rollups = new(StringComparer.Ordinal);
    private RollupBook _book = null!;
    private readonly HashSet<string> _changedChildren = new(StringComparer.Ordinal);
    // The children whose roll-ups combine into this one's; for the province, its localities.
    private Child[] _sources = [];
    private string _id = "";
    private UpdatePump _pump = null!;
    // What the roll-up counts over its units: the sum of its sources' tallies.
    private ScopeTally _tally;
    private UnitIndex _index = null!;
    private string[] _unitChildren = [];
    // The unit children whose alerts have anything stored, read once as this roll-up activates; null where the storage
    // cannot say (cluster mode) or there are no unit children.
    private IReadOnlySet<string>? _withAlerts;

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        _id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(_id, out var entity) || entity.Kind == EntityKind.Unit)
            throw new InvalidOperationException($"'{_id}' is not a locality, department, project or province in the catalog.");
        // Until a child reports, every unit under it counts as offline, with none of its indicators reported.
        foreach (var childId in catalog.ChildrenOf(_id))
        {
            var units = catalog.UnitsUnder(childId);
            _children[childId] = new Child(_children.Count)
            {
                Tally = ScopeTally.Unheard(units.Count, units.Sum(u => catalog.Entity(u).Metrics.Count(m => catalog.Metric(m).Indicator))),
            };
        }
        _sources = [.. catalog.RollupSourcesOf(_id).Select(id => _children[id])];
        _book = new RollupBook(_children.Count, [.. _sources.Select(c => c.Index)]);
        _unitChildren = [.. _children.Keys.Where(c => catalog.Entity(c).Kind == EntityKind.Unit)];
        _index = new UnitIndex(_unitChildren);
        // Where the storage can say which units' alerts have anything stored (the one-command hub), the others are
        // known to have none, and the first read of this index does not ask each of them (at 20,000 units, the first
        // screens after a start waited on 20,000 such calls).
        if (_unitChildren.Length > 0 && (_withAlerts = await StoredUnits.WithAlerts(ServiceProvider)) is { } withAlerts)
            _index.NothingStored(_unitChildren.Where(u => !withAlerts.Contains(u)));
        RecountUnits();
        _pump = new UpdatePump(_id, catalog, GrainFactory, GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity),
            ServiceProvider.GetRequiredService<UpwardReports>(), logger, options.Value.RollupInterval);
        // This roll-up may be replacing one lost with its silo: once active, it asks the children for their whole state.
        this.RegisterGrainTimer(AskChildrenToResend, new GrainTimerCreationOptions { DueTime = options.Value.RollupResendDelay, Period = Timeout.InfiniteTimeSpan });
    }

    private async Task AskChildrenToResend(CancellationToken cancellationToken)
    {
        // A unit with nothing stored has nothing to tell that this roll-up does not already count, and asking
        // would activate it: where the storage can say (the one-command hub), only units with state are asked.
        var stored = _unitChildren.Length > 0 ? await StoredUnits.Of(ServiceProvider, _withAlerts) : null;
        foreach (var childId in catalog.ChildrenOf(_id))
            if (stored is null || catalog.Entity(childId).Kind != EntityKind.Unit || stored.Contains(childId))
                GrainFactory.For(catalog.Entity(childId)).ResendToParents().Ignore();
        // The index is rebuilt the same way: every unit's alerts with anything stored send their list again. Alerts with
        // nothing stored have nothing to send (the index already counts them empty), and asking would activate them: after
        // a restart of a hub whose 20,000 units had all reported, every locality woke each of its units' alerts grains.
        foreach (var unit in _unitChildren)
            if (_withAlerts is null || _withAlerts.Contains(unit))
                GrainFactory.GetGrain<IAlertsGrain>(unit).ResendToIndexes().Ignore();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => UpdatePump.Settle(_pump.Drain(), reason);

    public Task ChildChanged(ChildReport report)
    {
        if (Take(report))
            _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    public Task ChildrenChanged(ImmutableArray<ChildReport> reports)
    {
        // In order: a report carries the partials of the metrics that changed, so a later report of the same child
        // replaces only those, and its status and counts replace the earlier ones'.
        var taken = false;
        foreach (var report in reports)
            taken |= Take(report);
        if (taken)
            _pump.MarkDirty(Build);
        return Task.CompletedTask;
    }

    private bool Take(ChildReport report)
    {
        if (!_children.TryGetValue(report.ChildId, out var child))
            return false;
        child.Status = report.Status;
        child.Tally = new ScopeTally(report.Units, report.BelowTarget, report.NotReported, report.LastReport);
        if (report.Standing is { } standing)
            _index.Take(standing);
        foreach (var partial in report.Partials)
            _book.Take(child.Index, partial);
        _changedChildren.Add(report.ChildId);
        return true;
    }

    public Task ResendToParents()
    {
        _pump.MarkAllDirty(Build);
        return Task.CompletedTask;
    }

    public Task AlertsChanged(UnitAlerts alerts)
    {
        _index.Take(alerts);
        return Task.CompletedTask;
    }

    public async Task<ImmutableArray<Alert>> GetAlerts(bool openOnly)
    {
        if (_unitChildren.Length == 0)
            return Merge(await Task.WhenAll(IndexSources().Select(s => s.GetAlerts(openOnly))));
        // Only after this index activated, until every unit has resent: what it has not heard it asks for once.
        if (_index.UnitsWithoutAlerts.ToList() is { Count: > 0 } unheard)
            foreach (var alerts in await Task.WhenAll(unheard.Select(u => GrainFactory.GetGrain<IAlertsGrain>(u).GetUnitAlerts())))
                _index.Take(alerts);
        return _index.Alerts(openOnly);
    }

    public async Task<ImmutableArray<Alert>> GetNewestAlerts(bool openOnly, int most)
    {
        if (_unitChildren.Length == 0)
            return Merge(await Task.WhenAll(IndexSources().Select(s => s.GetNewestAlerts(openOnly, most))), most);
        var alerts = await GetAlerts(openOnly);
        return alerts.Length <= most ? alerts : alerts[..most];
    }

    public async Task<UnitStanding> GetStandings()
    {
        if (_unitChildren.Length == 0)
        {
            var parts = await Task.WhenAll(IndexSources().Select(s => s.GetStandings()));
            return new UnitStanding([.. parts.SelectMany(p => p.BelowTarget)], [.. parts.SelectMany(p => p.NotReported)]);
        }
        if (_index.UnitsWithoutStanding.ToList() is { Count: > 0 } unheard)
            foreach (var entry in await Task.WhenAll(unheard.Select(u => GrainFactory.GetGrain<IUnitGrain>(u).GetStandingEntry())))
                _index.Take(entry);
        return _index.Standing();
    }

    /// <summary>Every alert of <paramref name="parts"/> (each newest first), newest first.</summary>
    internal static ImmutableArray<Alert> Merge(IEnumerable<ImmutableArray<Alert>> parts, int most = int.MaxValue) =>
        [.. parts.SelectMany(p => p).OrderByDescending(a => a.RaisedAt).ThenBy(a => a.Id, StringComparer.Ordinal).Take(most)];

    // A roll-up without units of its own (the province) answers from the roll-ups that partition its units.
    private IEnumerable<IScopeIndex> IndexSources() => _sources.Length == 0
        ? []
        : catalog.RollupSourcesOf(_id).Select(id => (IScopeIndex)GrainFactory.RollupFor(catalog.Entity(id)));

    public Task<EntitySnapshot> GetSnapshot() => Task.FromResult(new EntitySnapshot(
        _id, _pump.Sequence, _tally.Status, _tally.LastReport, [], [.. _rollups.Values], _tally.Units,
        [.. _children.Select(c => new ChildStatus(c.Key, c.Value.Status, c.Value.Tally.LastReport))], _tally.BelowTarget, _tally.NotReported));

    private void RecountUnits()
    {
        ScopeTally tally = default;
        foreach (var child in _sources)
            tally += child.Tally;
        _tally = tally;
    }

    private (ChildReport Parent, EntityUpdate Wall) Build(long sequence, bool full)
    {
        RecountUnits();
        if (full)
            _book.MarkAllChanged();
        var changes = _book.TakeChanges(metric => catalog.TryGetMetric(metric, out var definition) ? definition.Rollup : null);
        var partials = ImmutableArray.CreateBuilder<MetricPartial>(changes.Length);
        var rollups = ImmutableArray.CreateBuilder<RollupValue>(changes.Length);
        foreach (var change in changes)
        {
            partials.Add(change.Combined);
            if (change.Value is { } v)
            {
                var value = new RollupValue(change.Metric, v, change.Combined.Count, change.Combined.LastTimestamp);
                _rollups[change.Metric] = value;
                rollups.Add(value);
            }
            else if (change.Cleared)
            {
                _rollups.Remove(change.Metric);
                // No unit contributes any more: an empty roll-up tells screens to clear it.
                rollups.Add(new RollupValue(change.Metric, double.NaN, 0, DateTimeOffset.MinValue));
            }
        }
        var children = _changedChildren
            .Select(id => new ChildStatus(id, _children[id].Status, _children[id].Tally.LastReport)).ToImmutableArray();
        _changedChildren.Clear();
        return (
            new ChildReport(_id, _tally.Status, _tally.LastReport, _tally.Units, partials.ToImmutable(), _tally.BelowTarget, _tally.NotReported),
            new EntityUpdate(_id, sequence, sequence, _tally.Status, _tally.LastReport, [], rollups.ToImmutable(), _tally.Units, children, _tally.BelowTarget, _tally.NotReported));
    }
}

/// <summary>A city, a town or a district.</summary>
public sealed class LocalityGrain(Catalog catalog, IOptions<HubOptions> options, ILogger<LocalityGrain> logger)
    : RollupGrain(catalog, options, logger), ILocalityGrain;

/// <summary>A provincial department.</summary>
public sealed class DepartmentGrain(Catalog catalog, IOptions<HubOptions> options, ILogger<DepartmentGrain> logger)
    : RollupGrain(catalog, options, logger), IDepartmentGrain;

/// <summary>A smart-city project, spanning localities.</summary>
public sealed class ProjectGrain(Catalog catalog, IOptions<HubOptions> options, ILogger<ProjectGrain> logger)
    : RollupGrain(catalog, options, logger), IProjectGrain;

/// <summary>The province. Its roll-ups combine the localities, which between them hold every unit once.</summary>
public sealed class ProvinceGrain(Catalog catalog, IOptions<HubOptions> options, ILogger<ProvinceGrain> logger)
    : RollupGrain(catalog, options, logger), IProvinceGrain;
