using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Ioc.Contracts;

/// <summary>A target and thresholds, as set on an entity or in force there.</summary>
/// <param name="Target">The target; null leaves it to the enclosing entity or the catalog.</param>
/// <param name="Thresholds">The thresholds; null leaves them to the enclosing entity or the catalog.</param>
[GenerateSerializer, Immutable]
public sealed record TargetSetting(Target? Target, Thresholds? Thresholds);

/// <summary>An entity's override of a metric's target or thresholds, for the units under it.</summary>
/// <param name="Entity">The unit, locality, department, project or province the override is set on.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="Target">The overriding target, or null to inherit it.</param>
/// <param name="Thresholds">The overriding thresholds, or null to inherit them.</param>
/// <param name="SetBy">Who set it.</param>
/// <param name="SetAt">When.</param>
[GenerateSerializer, Immutable]
public sealed record TargetOverride(string Entity, string Metric, Target? Target, Thresholds? Thresholds, string SetBy, DateTimeOffset SetAt);

/// <summary>Whether a target change set an override or removed one.</summary>
public enum TargetChangeKind
{
    /// <summary>An override was set or replaced.</summary>
    Set,
    /// <summary>An override was removed; the entity inherits again.</summary>
    Cleared,
}

/// <summary>One audited change of a target: who, when, and what was in force at the entity before and after.</summary>
/// <param name="Version">The targets' version this change produced; versions only rise.</param>
/// <param name="At">When the change was made.</param>
/// <param name="By">Who made it: the token's <c>name</c>.</param>
/// <param name="Subject">The token's <c>sub</c>, which identifies the person at the identity provider.</param>
/// <param name="Entity">The entity the override is on.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="Kind">Set or cleared.</param>
/// <param name="From">Target and thresholds in force at the entity before, inherited or not.</param>
/// <param name="To">Target and thresholds in force at the entity after.</param>
[GenerateSerializer, Immutable]
public sealed record TargetChange(
    long Version, DateTimeOffset At, string By, string? Subject, string Entity, string Metric,
    TargetChangeKind Kind, TargetSetting From, TargetSetting To);

/// <summary>The target and thresholds in force for a metric at an entity, and where each comes from.</summary>
/// <param name="Entity">The entity asked about.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="Target">The target in force, if any.</param>
/// <param name="TargetFrom">The entity whose override sets the target, or null when it is the catalog's.</param>
/// <param name="Thresholds">The thresholds in force, if any.</param>
/// <param name="ThresholdsFrom">The entity whose override sets the thresholds, or null when they are the catalog's.</param>
[GenerateSerializer, Immutable]
public sealed record EffectiveTarget(string Entity, string Metric, Target? Target, string? TargetFrom, Thresholds? Thresholds, string? ThresholdsFrom);

/// <summary>The rules a unit judges its metrics by, at one version of the targets.</summary>
/// <param name="Version">The targets' version; a unit ignores rules older than those it holds.</param>
/// <param name="Metrics">A rule for each metric the unit reports.</param>
[GenerateSerializer, Immutable]
public sealed record UnitRules(long Version, ImmutableArray<MetricRule> Metrics);

/// <summary>
/// The province's target overrides and their audit trail; one activation, keyed 0. A change is
/// stored, then pushed to the targets shards it concerns (<see cref="ITargetShardGrain"/>), which push it
/// to their active units, before the call returns. Units never ask this grain.
/// </summary>
public interface ITargetsGrain : IGrainWithIntegerKey
{
    /// <summary>Sets or replaces the override of <paramref name="metric"/> on <paramref name="entity"/>.</summary>
    /// <param name="entity">Entity id; must exist in the catalog.</param>
    /// <param name="metric">Metric id; some unit under the entity must report it.</param>
    /// <param name="setting">The target and thresholds to set; at least one of them.</param>
    /// <param name="by">The person's name.</param>
    /// <param name="subject">The person's subject id.</param>
    /// <exception cref="ArgumentException">The entity, metric or setting is invalid; validate first.</exception>
    Task<TargetChange> Set(string entity, string metric, TargetSetting setting, string by, string? subject);

    /// <summary>Removes the override, if there is one; null when there was none.</summary>
    Task<TargetChange?> Clear(string entity, string metric, string by, string? subject);

    /// <summary>Every override in force.</summary>
    Task<ImmutableArray<TargetOverride>> GetOverrides();

    /// <summary>Every change, newest first.</summary>
    Task<ImmutableArray<TargetChange>> GetAudit();

    /// <summary>What is in force for a metric at an entity.</summary>
    Task<EffectiveTarget> Resolve(string entity, string metric);

    /// <summary>
    /// The overrides in force that concern <paramref name="shard"/>, at the current version. A shard asks as it
    /// activates and now and then, to catch up with a change it missed; this interleaves with a change in flight.
    /// </summary>
    [AlwaysInterleave]
    Task<ShardOverrides> OverridesFor(string shard);
}

/// <summary>
/// Resolves overrides along the chain <see cref="OverrideResolution.ChainOf"/> draws for an entity of the catalog;
/// target and thresholds resolve independently.
/// </summary>
public static class TargetResolution
{
    /// <summary>What is in force for <paramref name="metric"/> at <paramref name="entity"/>, given the overrides.</summary>
    public static EffectiveTarget Resolve(Catalog catalog, IReadOnlyDictionary<(string Entity, string Metric), TargetOverride> overrides, string entity, string metric)
    {
        var definition = catalog.Metric(metric);
        // Only units have a department, projects or a locality (the catalog's validation sees to it).
        var e = catalog.Entity(entity);
        var chain = OverrideResolution.ChainOf(entity, e.Department, e.Projects.IsDefault ? [] : e.Projects, e.Locality, catalog.Province.Id);
        var inForce = OverrideResolution.Resolve(definition.Target, definition.Thresholds, chain,
            (string id, out Target? target, out Thresholds? thresholds) =>
            {
                var found = overrides.TryGetValue((id, metric), out var o);
                (target, thresholds) = (o?.Target, o?.Thresholds);
                return found;
            });
        return new EffectiveTarget(entity, metric, inForce.Target, inForce.TargetFrom, inForce.Thresholds, inForce.ThresholdsFrom);
    }
}
