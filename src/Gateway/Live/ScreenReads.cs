using Ioc.Contracts;
using Ioc.Gateway.Api;

namespace Ioc.Gateway.Live;

/// <summary>
/// What a screen reads when it subscribes: an entity's snapshot and the newest open alerts. Screens that subscribe
/// in the same moment share one read and the one answer it builds (<see cref="SharedReads{TKey, TValue}"/>): when a
/// hundred screens reconnect at once after a gateway restart, the province and each locality are asked a few times,
/// not a hundred, and the children are sorted and the alerts merged once for all of them.
/// </summary>
public sealed class ScreenReads
{
    private readonly SharedReads<string, Snapshots> _snapshots;
    private readonly SharedReads<bool, Alert[]> _alerts;

    /// <summary>Reads through <paramref name="grains"/> the entities of <paramref name="catalog"/>.</summary>
    public ScreenReads(IGrainFactory grains, Catalog catalog)
    {
        _snapshots = new(async id =>
        {
            var snapshot = LiveHub.WithWorstChildren(await grains.For(catalog.Entity(id)).GetSnapshot(), LiveHub.ChildrenOnSubscribe);
            return new(snapshot.Children.IsDefaultOrEmpty ? snapshot : snapshot with { Children = [] }, snapshot);
        });
        // One key: every screen reads the same list.
        _alerts = new(async _ => [.. await grains.NewestOpenAlerts(catalog, LiveHub.AlertsOnSubscribe)]);
    }

    /// <summary>An entity's snapshot without children, and with at most <see cref="LiveHub.ChildrenOnSubscribe"/> of them.</summary>
    /// <param name="Bare">Without children.</param>
    /// <param name="WithChildren">With the most severe children.</param>
    public sealed record Snapshots(EntitySnapshot Bare, EntitySnapshot WithChildren);

    /// <summary>
    /// The snapshot of <paramref name="entityId"/>, from a read that started after this call. Call it after the
    /// screen watches the entity.
    /// </summary>
    public Task<Snapshots> Snapshot(string entityId) => _snapshots.Read(entityId);

    /// <summary>
    /// The newest <see cref="LiveHub.AlertsOnSubscribe"/> open alerts, newest first, from a read that started after
    /// this call. Call it after the screen watches alerts. The array is shared: it must not be changed.
    /// </summary>
    public Task<Alert[]> NewestOpenAlerts() => _alerts.Read(true);

    /// <summary>How many reads are running; for tests.</summary>
    internal int InFlight => _snapshots.InFlight + _alerts.InFlight;
}
