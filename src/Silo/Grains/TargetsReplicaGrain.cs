using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>
/// A silo's copy of the target overrides, keyed by the silo's runtime identity and placed there by the
/// units of that silo, which call it first. It subscribes to the targets grain as it activates and again
/// every <see cref="Resubscribe"/>, so that it catches up after the targets grain was lost with its silo
/// (which forgets its subscribers) or a change did not reach it.
/// </summary>
[Orleans.Placement.PreferLocalPlacement]
public sealed class TargetsReplicaGrain(Catalog catalog, ILogger<TargetsReplicaGrain> logger) : HubGrain, ITargetsReplicaGrain
{
    /// <summary>How often the replica subscribes again.</summary>
    public static readonly TimeSpan Resubscribe = TimeSpan.FromSeconds(15);

    private (long Version, Dictionary<(string Entity, string Metric), TargetOverride> Overrides) _overrides = (-1, []);

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(_ => Subscribe(), new GrainTimerCreationOptions
        {
            DueTime = Resubscribe,
            Period = Resubscribe,
            KeepAlive = true,
        });
        await Subscribe();
    }

    public async Task<UnitRules> RulesFor(string unit)
    {
        // Only when the first subscription failed: the unit's own retry comes back here until it succeeds.
        if (_overrides.Version < 0)
            await Subscribe();
        if (_overrides.Version < 0)
            throw new InvalidOperationException("This silo has not received the target overrides yet.");
        return TargetResolution.RulesFor(catalog, _overrides.Version, _overrides.Overrides, unit);
    }

    public Task OverridesChanged(TargetOverrides overrides)
    {
        Take(overrides);
        return Task.CompletedTask;
    }

    private async Task Subscribe()
    {
        try
        {
            Take(await GrainFactory.GetGrain<ITargetsGrain>(0).Subscribe(this.AsReference<ITargetsReplicaGrain>()));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Replica {Replica} could not read the target overrides; trying again", this.GetPrimaryKeyString());
        }
    }

    private void Take(TargetOverrides overrides)
    {
        if (overrides.Version > _overrides.Version)
            _overrides = (overrides.Version, overrides.Overrides.ToDictionary(o => (o.Entity, o.Metric)));
    }
}
