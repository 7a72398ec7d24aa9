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
/// Holds the province's target overrides. A change is stored first, then pushed to the targets shards
/// it concerns, which push it to their active units; those re-judge their latest values at once, and the
/// call returns when they have. A shard that could not be reached is sent its overrides again until it
/// takes them. Design: docs/design/targets.md.
/// </summary>
public sealed class TargetsGrain(
    [PersistentState("targets", StateStorage.Name)] IPersistentState<TargetsState> state,
    Catalog catalog,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<TargetsGrain> logger) : YieldingGrain, ITargetsGrain
{
    // What units are told: only what is stored, swapped whole, so that an interleaved RulesFor never
    // sees a version without its overrides.
    private (long Version, Dictionary<(string Entity, string Metric), TargetOverride> Overrides) _committed = (0, []);
    // Shards a push did not reach, and the timer that sends them the overrides in force again.
    private readonly HashSet<string> _unreached = new(StringComparer.Ordinal);
    private IGrainTimer? _retry;

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

    public Task<ShardOverrides> OverridesFor(string shard) => Task.FromResult(OverridesOf(shard));

    private ShardOverrides OverridesOf(string shard) =>
        new(_committed.Version, TargetShards.For(catalog, shard, _committed.Overrides.Values));

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

        // Only the shards with a unit under the entity; each pushes only to its active units.
        await Push(TargetShards.ConcernedBy(catalog, entity).ToList());
        return change;
    }

    private async Task Push(List<string> shards)
    {
        var outcomes = await Task.WhenAll(shards.Select(async shard =>
        {
            try
            {
                await GrainFactory.GetGrain<ITargetShardGrain>(shard).Update(OverridesOf(shard));
                return (shard, (Exception?)null);
            }
            catch (Exception ex)
            {
                return (shard, ex);
            }
        }));
        foreach (var (shard, error) in outcomes)
        {
            if (error is null)
            {
                _unreached.Remove(shard);
                continue;
            }
            // Stored and in force: the shard is sent the overrides again until it takes them, and a shard that
            // activates asks for them itself.
            logger.LogError(error, "Targets version {Version} is stored but shard {Shard} did not take it; sending it again", _committed.Version, shard);
            _unreached.Add(shard);
        }
        if (_unreached.Count > 0)
            _retry ??= this.RegisterGrainTimer(RetryUnreached, new GrainTimerCreationOptions { DueTime = RetryPeriod, Period = RetryPeriod });
        else
        {
            _retry?.Dispose();
            _retry = null;
        }
    }

    private Task RetryUnreached(CancellationToken cancellationToken) => Push([.. _unreached]);

    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(5);

    private void RequireKnown(string entity, string metric)
    {
        if (!catalog.TryGetEntity(entity, out _))
            throw new ArgumentException($"There is no entity '{entity}' in the catalog.", nameof(entity));
        if (!catalog.TryGetMetric(metric, out _))
            throw new ArgumentException($"There is no metric '{metric}' in the catalog.", nameof(metric));
    }
}
