using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>The stored target overrides and every change made to them.</summary>
[GenerateSerializer]
public sealed class TargetsState
{
    /// <summary>The overrides in force.</summary>
    [Id(0)] public List<TargetOverride> Overrides { get; set; } = [];

    /// <summary>Every change, oldest first.</summary>
    [Id(1)] public List<TargetChange> Audit { get; set; } = [];

    /// <summary>The version of the last change; zero before any.</summary>
    [Id(2)] public long Version { get; set; }
}

/// <summary>
/// Holds the province's target overrides. A change is stored first, then pushed to every unit it
/// affects, which re-judge their latest values at once; the call returns when they have.
/// </summary>
public sealed class TargetsGrain(
    [PersistentState("targets", HubStorage.Name)] IPersistentState<TargetsState> state,
    Catalog catalog,
    [FromKeyedServices(HubClock.Key)] TimeProvider time,
    ILogger<TargetsGrain> logger) : HubGrain, ITargetsGrain
{
    // What units are told: only what is stored, swapped whole, so that an interleaved RulesFor never
    // sees a version without its overrides.
    private (long Version, Dictionary<(string Entity, string Metric), TargetOverride> Overrides) _committed = (0, []);

    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        _committed = (state.State.Version, state.State.Overrides.ToDictionary(o => (o.Entity, o.Metric)));
        return Task.CompletedTask;
    }

    public Task<TargetChange> Set(string entity, string metric, TargetSetting setting, string by, string? subject)
    {
        RequireKnown(entity, metric);
        if (setting.Target is null && setting.Thresholds is null)
            throw new ArgumentException("An override sets a target, thresholds or both.", nameof(setting));
        if (setting.Target is { } t && !double.IsFinite(t.Value))
            throw new ArgumentException("The target must be a finite number.", nameof(setting));
        if (setting.Thresholds?.Problem() is { } problem)
            throw new ArgumentException($"Thresholds: {problem}.", nameof(setting));
        var next = new Dictionary<(string, string), TargetOverride>(_committed.Overrides)
        {
            [(entity, metric)] = new TargetOverride(entity, metric, setting.Target, setting.Thresholds, by, time.GetUtcNow()),
        };
        return Commit(entity, metric, TargetChangeKind.Set, next, by, subject);
    }

    public async Task<TargetChange?> Clear(string entity, string metric, string by, string? subject)
    {
        RequireKnown(entity, metric);
        if (!_committed.Overrides.ContainsKey((entity, metric)))
            return null;
        var next = new Dictionary<(string, string), TargetOverride>(_committed.Overrides);
        next.Remove((entity, metric));
        return await Commit(entity, metric, TargetChangeKind.Cleared, next, by, subject);
    }

    public Task<ImmutableArray<TargetOverride>> GetOverrides() => Task.FromResult(_committed.Overrides.Values
        .OrderBy(o => o.Entity, StringComparer.Ordinal).ThenBy(o => o.Metric, StringComparer.Ordinal).ToImmutableArray());

    public Task<ImmutableArray<TargetChange>> GetAudit() =>
        Task.FromResult(state.State.Audit.AsEnumerable().Reverse().ToImmutableArray());

    public Task<EffectiveTarget> Resolve(string entity, string metric)
    {
        RequireKnown(entity, metric);
        return Task.FromResult(TargetResolution.Resolve(catalog, _committed.Overrides, entity, metric));
    }

    public Task<UnitRules> RulesFor(string unit) => Task.FromResult(Rules(unit));

    private UnitRules Rules(string unit)
    {
        var (version, overrides) = _committed;
        return new UnitRules(version, [.. catalog.Entity(unit).Metrics.Select(m =>
        {
            var effective = TargetResolution.Resolve(catalog, overrides, unit, m);
            return new MetricRule(m, effective.Target, effective.Thresholds);
        })]);
    }

    private async Task<TargetChange> Commit(
        string entity, string metric, TargetChangeKind kind, Dictionary<(string, string), TargetOverride> next, string by, string? subject)
    {
        static TargetSetting InForce(EffectiveTarget e) => new(e.Target, e.Thresholds);
        var change = new TargetChange(
            state.State.Version + 1, time.GetUtcNow(), by, subject, entity, metric, kind,
            InForce(TargetResolution.Resolve(catalog, _committed.Overrides, entity, metric)),
            InForce(TargetResolution.Resolve(catalog, next, entity, metric)));

        var previous = state.State;
        state.State = new TargetsState { Overrides = [.. next.Values], Audit = [.. previous.Audit, change], Version = change.Version };
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Never half-applied: nothing was stored, so nothing is in force and no unit hears of it.
            state.State = previous;
            throw;
        }
        _committed = (change.Version, next);
        logger.LogInformation("{By} changed {Metric} on {Entity} from {From} to {To}", by, metric, entity, change.From, change.To);

        var units = catalog.UnitsUnder(entity).Where(u => catalog.Entity(u).Metrics.Contains(metric)).ToList();
        try
        {
            await Task.WhenAll(units.Select(u => GrainFactory.GetGrain<IUnitGrain>(u).ApplyRules(Rules(u))));
        }
        catch (Exception ex)
        {
            // Stored and in force; a unit that missed it takes it up when it next activates.
            logger.LogError(ex, "Target change {Version} is stored but did not reach every one of {Count} units", change.Version, units.Count);
        }
        return change;
    }

    private void RequireKnown(string entity, string metric)
    {
        if (!catalog.TryGetEntity(entity, out _))
            throw new ArgumentException($"There is no entity '{entity}' in the catalog.", nameof(entity));
        if (!catalog.TryGetMetric(metric, out _))
            throw new ArgumentException($"There is no metric '{metric}' in the catalog.", nameof(metric));
    }
}
