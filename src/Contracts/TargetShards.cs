using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Ioc.Contracts;

/// <summary>The target overrides that concern one shard, as of a version of the targets.</summary>
/// <param name="Version">The targets' version these overrides were taken at; a shard ignores older ones.</param>
/// <param name="Overrides">The overrides on entities that some unit of the shard inherits from.</param>
[GenerateSerializer, Immutable]
public sealed record ShardOverrides(long Version, ImmutableArray<TargetOverride> Overrides);

/// <summary>
/// A copy of the target overrides that concern the units of one locality, keyed by the locality's id, and
/// the units of that locality that are active. Units ask it for their rules as they activate (never the
/// targets grain), and a change reaches the active ones through it.
/// </summary>
public interface ITargetShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records <paramref name="unit"/> as active and answers its rules when they are newer than
    /// <paramref name="knownVersion"/>, else null. Units call this as they activate and again now and then,
    /// so that a shard that lost its list (with its silo) learns it again. Interleaves: a unit activating
    /// may be waiting for it while the shard pushes a change to that same unit.
    /// </summary>
    [AlwaysInterleave]
    Task<UnitRules?> Register(string unit, long knownVersion);

    /// <summary>Forgets <paramref name="unit"/>, which is deactivating; changes no longer go to it.</summary>
    [AlwaysInterleave, OneWay]
    Task Unregister(string unit);

    /// <summary>
    /// Takes the overrides at a newer version, stores them, and pushes new rules to each active unit whose
    /// rules they change; returns once those units have taken them. Older versions are ignored.
    /// </summary>
    Task Update(ShardOverrides overrides);
}

/// <summary>Which shard holds a unit's rules, and which shards a change on an entity concerns.</summary>
public static class TargetShards
{
    /// <summary>The shard of <paramref name="unit"/>: its locality.</summary>
    public static string ShardOf(Catalog catalog, string unit) => catalog.Entity(unit).Locality!;

    /// <summary>The shards with a unit that inherits from an override on <paramref name="entity"/>.</summary>
    public static IEnumerable<string> ConcernedBy(Catalog catalog, string entity) =>
        catalog.UnitsUnder(entity).Select(u => ShardOf(catalog, u)).Distinct(StringComparer.Ordinal);

    /// <summary>The overrides, of <paramref name="all"/>, that some unit of <paramref name="shard"/> inherits from.</summary>
    public static ImmutableArray<TargetOverride> For(Catalog catalog, string shard, IEnumerable<TargetOverride> all)
    {
        var units = catalog.UnitsUnder(shard);
        return [.. all.Where(o => units.Overlaps(catalog.UnitsUnder(o.Entity)))
            .OrderBy(o => o.Entity, StringComparer.Ordinal).ThenBy(o => o.Metric, StringComparer.Ordinal)];
    }

    /// <summary>A unit's rules under <paramref name="overrides"/>, which hold at least those it inherits from.</summary>
    public static UnitRules RulesOf(Catalog catalog, string unit, long version, IReadOnlyDictionary<(string Entity, string Metric), TargetOverride> overrides) =>
        new(version, [.. catalog.Entity(unit).Metrics.Select(m =>
        {
            var effective = TargetResolution.Resolve(catalog, overrides, unit, m);
            return new MetricRule(m, effective.Target, effective.Thresholds);
        })]);
}
