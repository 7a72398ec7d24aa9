using Ioc.Contracts;
using Microsoft.Extensions.Options;

namespace Ioc.Silo.Grains;

/// <summary>A shard's stored copy of the overrides that concern its units.</summary>
[GenerateSerializer]
public sealed class TargetShardState
{
    /// <summary>The targets' version the copy was taken at; zero before any change.</summary>
    [Id(0)] public long Version { get; set; }

    /// <summary>The overrides that some unit of the shard inherits from.</summary>
    [Id(1)] public List<TargetOverride> Overrides { get; set; } = [];
}

/// <summary>
/// The targets of one locality's units: answers their rules as they activate from a stored copy, so that no
/// unit asks the one targets grain, and pushes a change only to the units that are active and whose rules
/// it changes. Design: docs/design/targets.md.
/// </summary>
public sealed class TargetShardGrain(
    [PersistentState("targets-shard", StateStorage.Name)] IPersistentState<TargetShardState> state,
    Catalog catalog,
    IOptions<HubOptions> options,
    ILogger<TargetShardGrain> logger) : YieldingGrain, ITargetShardGrain
{
    // The copy in force, swapped whole so that an interleaved Register never sees a version without its overrides.
    private (long Version, Dictionary<(string Entity, string Metric), TargetOverride> Overrides) _inForce = (0, []);
    // The active units, as they registered; in memory only: units register again every RulesRefreshPeriod.
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);

    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        if (!catalog.TryGetEntity(id, out var locality) || !locality.IsLocality)
            throw new InvalidOperationException($"'{id}' is not a locality in the catalog.");
        _inForce = (state.State.Version, state.State.Overrides.ToDictionary(o => (o.Entity, o.Metric)));
        // Catching up with the targets grain is not on the units' path: they are answered from the stored copy
        // meanwhile, and anything newer is pushed to them when it comes. The first check runs at once, in case a
        // change was committed while this shard could not be reached.
        this.RegisterGrainTimer(CatchUp, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.RulesRefreshPeriod,
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    public Task<UnitRules?> Register(string unit, long knownVersion)
    {
        _active.Add(unit);
        var (version, overrides) = _inForce;
        return Task.FromResult(version > knownVersion ? TargetShards.RulesOf(catalog, unit, version, overrides) : null);
    }

    public Task Unregister(string unit)
    {
        _active.Remove(unit);
        return Task.CompletedTask;
    }

    public async Task Update(ShardOverrides overrides)
    {
        if (overrides.Version <= _inForce.Version)
            return;
        state.State = new TargetShardState { Version = overrides.Version, Overrides = [.. overrides.Overrides] };
        await state.WriteStateAsync();
        var previous = _inForce;
        _inForce = (overrides.Version, overrides.Overrides.ToDictionary(o => (o.Entity, o.Metric)));

        // Only the active units, and of those only the ones whose rules change: the others take the new version
        // when they next register, and an inactive unit reads it when it activates.
        var pushes = new List<Task>();
        foreach (var unit in _active)
        {
            var rules = TargetShards.RulesOf(catalog, unit, _inForce.Version, _inForce.Overrides);
            if (!rules.Metrics.SequenceEqual(TargetShards.RulesOf(catalog, unit, previous.Version, previous.Overrides).Metrics))
                pushes.Add(GrainFactory.GetGrain<IUnitGrain>(unit).ApplyRules(rules));
        }
        await Task.WhenAll(pushes);
    }

    private async Task CatchUp(CancellationToken cancellationToken)
    {
        try
        {
            await Update(await GrainFactory.GetGrain<ITargetsGrain>(0).OverridesFor(this.GetPrimaryKeyString()));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Targets shard {Shard} could not catch up with the targets; trying again in {Period}", this.GetPrimaryKeyString(), options.Value.RulesRefreshPeriod);
        }
    }
}
