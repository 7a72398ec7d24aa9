using Ioc.Contracts;
using Microsoft.AspNetCore.SignalR;

namespace Ioc.Gateway.Live;

/// <summary>
/// The screens' hub at <c>/hubs/live</c>. <see cref="Subscribe"/> (or <see cref="SubscribeWithChildren"/>) returns a
/// snapshot; the screen then receives <c>update</c> frames: arrays of <see cref="EntityUpdate"/>, each a delta carrying the range of
/// the entity's sequence numbers it folds. A screen that sees a gap subscribes again for a fresh snapshot.
/// </summary>
public sealed class LiveHub(Screens screens, Catalog catalog, ScreenReads reads) : Hub
{
    public override Task OnConnectedAsync()
    {
        screens.Connect(Context);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        screens.Disconnect(Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts watching an entity and returns its snapshot, without children. Updates newer than the snapshot follow,
    /// also without children: the wall reads an entity's members a page at a time and watches each one it shows.
    /// </summary>
    public Task<EntitySnapshot> Subscribe(string entityId) => Watch(entityId, withChildren: false);

    /// <summary>
    /// Starts watching an entity and returns its snapshot with at most <see cref="ChildrenOnSubscribe"/> children, the
    /// most severe first. Updates newer than the snapshot follow, naming every child that changed.
    /// </summary>
    public Task<EntitySnapshot> SubscribeWithChildren(string entityId) => Watch(entityId, withChildren: true);

    private async Task<EntitySnapshot> Watch(string entityId, bool withChildren)
    {
        if (!catalog.TryGetEntity(entityId, out _))
            throw new HubException($"Unknown entity '{entityId}'.");
        // Watch first, then read: an update that races the snapshot arrives after it and is either
        // already folded in (its sequence is not newer) or applies on top. The read is shared with the screens
        // that subscribe in the same moment, and starts after this watch began.
        if (!screens.Watch(Context.ConnectionId, entityId, withChildren))
            throw new HubException("Too many subscriptions on this connection.");
        var snapshot = await reads.Snapshot(entityId);
        return withChildren ? snapshot.WithChildren : snapshot.Bare;
    }

    /// <summary>
    /// The most children a snapshot from <see cref="SubscribeWithChildren"/> lists. A locality of a real province has thousands
    /// of units (2,000 in the benchmark, 174 kB per screen), and every screen of a reconnect storm asked for them
    /// all; the counts by status stay whole, the full member list is paged by <c>GET /api/v1/entities/{id}/children</c>,
    /// and updates to a screen that subscribed with children still name every child that changes.
    /// </summary>
    public const int ChildrenOnSubscribe = 100;

    /// <summary>
    /// <paramref name="snapshot"/> with at most <paramref name="most"/> children: the most severe first (offline,
    /// critical, warning, below target, ok), then by id, so that a long list keeps the ones a screen must show.
    /// </summary>
    internal static EntitySnapshot WithWorstChildren(EntitySnapshot snapshot, int most) =>
        snapshot.Children.Length <= most ? snapshot : snapshot with
        {
            Children = [.. snapshot.Children.OrderByDescending(c => c.Status).ThenBy(c => c.Id, StringComparer.Ordinal).Take(most)],
        };

    /// <summary>Stops watching an entity.</summary>
    public void Unsubscribe(string entityId) => screens.Unwatch(Context.ConnectionId, entityId);

    /// <summary>
    /// The most open alerts <see cref="SubscribeAlerts"/> returns. The wall keeps this many; a province under a
    /// storm of breaches holds tens of thousands (5 MB at 20,000 units), and sending them all to every screen of
    /// a reconnect storm was most of its time and memory.
    /// </summary>
    public const int AlertsOnSubscribe = 200;

    /// <summary>Starts receiving alerts and returns the newest <see cref="AlertsOnSubscribe"/> open now (active or acknowledged), newest first.</summary>
    public async Task<Alert[]> SubscribeAlerts()
    {
        // Watch first, then read, as for entities: a change racing the read arrives after it, and its version tells.
        if (!screens.WatchAlerts(Context.ConnectionId))
            throw new HubException("This connection is closing.");
        // From the localities' indexes, not from every unit, and only their newest: a reconnect storm costs per
        // locality, not per unit or per open alert; and one read serves every screen that subscribes in the same moment.
        return await reads.NewestOpenAlerts();
    }

    /// <summary>Stops receiving alerts.</summary>
    public void UnsubscribeAlerts() => screens.UnwatchAlerts(Context.ConnectionId);
}
