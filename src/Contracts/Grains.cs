using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Ioc.Contracts;

/// <summary>Any entity whose state the wall can show.</summary>
public interface IEntityGrain : IGrainWithStringKey
{
    /// <summary>The entity's current state, with the sequence number it reflects.</summary>
    Task<EntitySnapshot> GetSnapshot();

    /// <summary>
    /// Sends everything to the parents again, not just what changed. A roll-up that has just activated
    /// (after a silo failure, say) asks its children for this, so that it does not count them offline
    /// until they next report, which may be a day away for daily indicators.
    /// </summary>
    [OneWay]
    Task ResendToParents();
}

/// <summary>One reporting unit. Keeps each metric's latest value and reports changes to its parents.</summary>
public interface IUnitGrain : IEntityGrain
{
    /// <summary>Takes points reported by this unit. Points may arrive out of order.</summary>
    Task Report(ImmutableArray<MetricPoint> points);

    /// <summary>Takes new targets and thresholds and re-judges the latest values by them at once.</summary>
    Task ApplyRules(UnitRules rules);

    /// <summary>The unit's indicators below target and its scheduled indicators not reported this period.</summary>
    Task<UnitStanding> GetStanding();

    /// <summary>How many distinct points the unit has reported; a replayed batch does not count again.</summary>
    Task<UnitIntake> GetIntake();

    /// <summary>
    /// The standing as of the unit's last judgement, for an index that has not heard from the unit since it
    /// activated. Interleaves: it only reads, and an index may ask while the unit waits on that index.
    /// </summary>
    [AlwaysInterleave]
    Task<UnitStandingEntry> GetStandingEntry();

    /// <summary>
    /// The unit's alerts activated holding an open alert: the unit tells them its conditions now, and on each of its
    /// activations until they answer that none is open, even when it breaches nothing.
    /// </summary>
    [OneWay]
    Task AlertsOpen();
}

/// <summary>An entity that rolls up its children: a locality, a department, a project or the province.</summary>
public interface IRollupGrain : IEntityGrain, IScopeIndex
{
    /// <summary>A child reports what changed. At most one call per child is in flight at a time.</summary>
    Task ChildChanged(ChildReport report);

    /// <summary>
    /// The reports of many children, gathered on one silo while its previous call to this parent was in flight,
    /// applied in order in one turn. A child appears at most once; each report is what <see cref="ChildChanged"/> takes.
    /// </summary>
    Task ChildrenChanged(ImmutableArray<ChildReport> reports);
}

/// <summary>A city, a town or a district.</summary>
public interface ILocalityGrain : IRollupGrain;

/// <summary>A provincial department.</summary>
public interface IDepartmentGrain : IRollupGrain;

/// <summary>A smart-city project.</summary>
public interface IProjectGrain : IRollupGrain;

/// <summary>The province, which rolls up its localities.</summary>
public interface IProvinceGrain : IRollupGrain;

/// <summary>Receives live updates in a process that serves screens.</summary>
public interface ILiveFeed : IGrainObserver
{
    /// <summary>A batch of updates, coalesced upstream.</summary>
    Task OnUpdates(ImmutableArray<EntityUpdate> updates);

    /// <summary>Alerts that were raised or changed, the newest version of each.</summary>
    Task OnAlerts(ImmutableArray<Alert> alerts);
}

/// <summary>Knows every live feed in the cluster; one activation, keyed 0.</summary>
public interface ILiveFeedRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or refreshes a feed. Feeds that are not refreshed expire.</summary>
    Task Register(ILiveFeed feed);

    /// <summary>Removes a feed at once, as a process shuts down.</summary>
    Task Unregister(ILiveFeed feed);

    /// <summary>The feeds currently registered.</summary>
    Task<ImmutableArray<ILiveFeed>> GetFeeds();
}

/// <summary>
/// Batches updates from the entity grains of one silo and fans them out to every live feed. There is one
/// per silo, keyed by the silo's runtime identity (<c>Grain.RuntimeIdentity</c>) and placed on that silo.
/// </summary>
public interface IPushNotifierGrain : IGrainWithStringKey
{
    /// <summary>Queues an update for the next batch.</summary>
    [OneWay]
    Task Publish(EntityUpdate update);

    /// <summary>
    /// Queues the updates of many entities of this silo for the next batch, in order; the silo sends them together
    /// with one call in flight, so the call is answered rather than one-way.
    /// </summary>
    Task PublishMany(ImmutableArray<EntityUpdate> updates);

    /// <summary>
    /// The registry tells the notifier of its own silo that a feed came, so that a new Gateway receives
    /// updates at once; notifiers on other silos notice on their next refresh. Notifiers only add feeds
    /// from such lists: a feed is dropped when a send to it fails.
    /// </summary>
    [OneWay]
    Task FeedsChanged(ImmutableArray<ILiveFeed> feeds);

    /// <summary>Queues a raised or changed alert for the next batch.</summary>
    [OneWay]
    Task PublishAlert(Alert alert);

    /// <summary>
    /// Activates the notifier on its silo as the silo starts, and reads the feeds once; from then on it keeps its list
    /// of feeds fresh by itself, whether or not its silo has updates to send. A silo that takes over units after
    /// another was killed then sends their updates to feeds it already knows, without asking the registry, which may
    /// have died with the same silo.
    /// </summary>
    Task Start();

    /// <summary>The feeds this notifier sends to: what an operator, or a test, looks at to see where updates go.</summary>
    Task<ImmutableArray<ILiveFeed>> GetFeeds();
}

/// <summary>Finds the grain behind an entity by its kind.</summary>
public static class EntityGrains
{
    /// <summary>The grain for <paramref name="entity"/>.</summary>
    public static IEntityGrain For(this IGrainFactory grains, CatalogEntity entity) => entity.Kind switch
    {
        EntityKind.Unit => grains.GetGrain<IUnitGrain>(entity.Id),
        _ => grains.RollupFor(entity),
    };

    /// <summary>The roll-up grain for a non-unit <paramref name="entity"/>.</summary>
    public static IRollupGrain RollupFor(this IGrainFactory grains, CatalogEntity entity) => entity.Kind switch
    {
        EntityKind.Province => grains.GetGrain<IProvinceGrain>(entity.Id),
        EntityKind.Department => grains.GetGrain<IDepartmentGrain>(entity.Id),
        EntityKind.Project => grains.GetGrain<IProjectGrain>(entity.Id),
        EntityKind.Unit => throw new ArgumentException($"'{entity.Id}' is a unit, not a roll-up.", nameof(entity)),
        _ => grains.GetGrain<ILocalityGrain>(entity.Id),
    };
}
