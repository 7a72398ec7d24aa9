using System.Collections.Concurrent;
using System.Collections.Immutable;
using Ioc.Contracts;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Ioc.Gateway.Live;

/// <summary>
/// The screens connected to this process, the entities each one watches, and which ones watch alerts; and this
/// process's live feed, the observer the push notifiers send batches to.
/// </summary>
public sealed class Screens(IHubContext<LiveHub> hub, IOptions<LivePushOptions> options, TimeProvider time, ILogger<Screens> logger) : ILiveFeed
{
    private readonly ConcurrentDictionary<string, ScreenConnection> _connections = new(StringComparer.Ordinal);
    // Entity id to the screens watching it. Keys are bounded by the catalog; sets shrink as screens leave.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ScreenConnection>> _watchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ScreenConnection> _alertWatchers = new(StringComparer.Ordinal);

    /// <summary>How many screens are connected.</summary>
    public int Count => _connections.Count;

    /// <summary>Cuts every screen off, as a network failure would; each reconnects and resynchronises.</summary>
    internal void AbortAll()
    {
        foreach (var screen in _connections.Values)
            screen.Abort();
    }

    internal void Connect(HubCallerContext context) =>
        _connections[context.ConnectionId] = new ScreenConnection(context, hub, options.Value, () => _connections.Count, time, logger);

    internal void Disconnect(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var screen)) return;
        _alertWatchers.TryRemove(connectionId, out _);
        foreach (var entity in screen.Close())
            if (_watchers.TryGetValue(entity, out var set)) set.TryRemove(connectionId, out _);
    }

    internal bool Watch(string connectionId, string entityId, bool withChildren = false)
    {
        if (!_connections.TryGetValue(connectionId, out var screen)
            || !screen.TryWatch(entityId, options.Value.MaxSubscriptionsPerConnection, withChildren))
            return false;
        _watchers.GetOrAdd(entityId, _ => new(StringComparer.Ordinal))[connectionId] = screen;
        // A disconnect that raced this call has already swept the watcher sets; sweep again.
        if (!_connections.ContainsKey(connectionId) && _watchers.TryGetValue(entityId, out var set))
            set.TryRemove(connectionId, out _);
        return true;
    }

    internal void Unwatch(string connectionId, string entityId)
    {
        if (!_connections.TryGetValue(connectionId, out var screen)) return;
        screen.Unwatch(entityId);
        if (_watchers.TryGetValue(entityId, out var set)) set.TryRemove(connectionId, out _);
    }

    internal bool WatchAlerts(string connectionId)
    {
        if (!_connections.TryGetValue(connectionId, out var screen)) return false;
        _alertWatchers[connectionId] = screen;
        // A disconnect that raced this call has already swept; sweep again.
        if (!_connections.ContainsKey(connectionId)) _alertWatchers.TryRemove(connectionId, out _);
        return true;
    }

    internal void UnwatchAlerts(string connectionId) => _alertWatchers.TryRemove(connectionId, out _);

    /// <summary>Hands alerts to every screen that watches alerts. Never blocks on a screen.</summary>
    public Task OnAlerts(ImmutableArray<Alert> alerts)
    {
        foreach (var screen in _alertWatchers.Values)
            screen.Enqueue(alerts);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Hands each update to the screens that watch its entity, with the children that changed only to those that
    /// asked for them. Never blocks on a screen.
    /// </summary>
    public Task OnUpdates(ImmutableArray<EntityUpdate> updates)
    {
        foreach (var update in updates)
        {
            if (!_watchers.TryGetValue(update.Id, out var set)) continue;
            // A locality's update names every unit under it that reported: thousands a second at province scale,
            // which the wall does not read. One copy without them serves every screen that did not ask.
            var bare = update.Children.IsDefaultOrEmpty ? update : update with { Children = [] };
            foreach (var screen in set.Values)
                screen.Enqueue(update, bare);
        }
        return Task.CompletedTask;
    }
}
