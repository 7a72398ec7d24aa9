using System.Collections.Immutable;
using Ioc.Contracts;
using Orleans.Concurrency;

namespace Ioc.Silo.Grains;

/// <summary>
/// Gathers updates from the entity grains of this silo, and alerts, and sends them to every live feed.
/// A batch goes out at once when nothing is in flight; while a send is in flight, updates to the same
/// entity fold into one, and so do changes to the same alert, so a feed receives at most one of each
/// per round trip.
/// </summary>
[StatelessWorker(1)]
public sealed class PushNotifierGrain(ILogger<PushNotifierGrain> logger) : Grain, IPushNotifierGrain
{
    private static readonly TimeSpan FeedRefreshPeriod = TimeSpan.FromSeconds(3);
    private readonly Dictionary<string, EntityUpdate> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _pendingAlerts = new(StringComparer.Ordinal);
    private ImmutableArray<ILiveFeed> _feeds = [];
    private DateTime _feedsFetched = DateTime.MinValue;
    private Task _running = Task.CompletedTask;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _running;

    public Task Publish(EntityUpdate update)
    {
        _pending[update.Id] = _pending.TryGetValue(update.Id, out var earlier) ? LiveUpdates.Merge(earlier, update) : update;
        if (_running.IsCompleted)
            _running = Run();
        return Task.CompletedTask;
    }

    public Task PublishAlert(Alert alert)
    {
        if (!_pendingAlerts.TryGetValue(alert.Id, out var earlier) || earlier.Version < alert.Version)
            _pendingAlerts[alert.Id] = alert;
        if (_running.IsCompleted)
            _running = Run();
        return Task.CompletedTask;
    }

    private async Task Run()
    {
        while (_pending.Count > 0 || _pendingAlerts.Count > 0)
        {
            var batch = _pending.Values.ToImmutableArray();
            _pending.Clear();
            var alerts = _pendingAlerts.Values.ToImmutableArray();
            _pendingAlerts.Clear();
            try
            {
                if (DateTime.UtcNow - _feedsFetched > FeedRefreshPeriod || _feeds.IsEmpty)
                {
                    _feeds = await GrainFactory.GetGrain<ILiveFeedRegistryGrain>(0).GetFeeds();
                    _feedsFetched = DateTime.UtcNow;
                }
                await Task.WhenAll(_feeds.Select(feed => Send(feed, batch, alerts)));
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not fetch the live feeds; {Count} updates and {Alerts} alerts dropped, screens resynchronise on the sequence gap",
                    batch.Length, alerts.Length);
            }
        }
    }

    private async Task Send(ILiveFeed feed, ImmutableArray<EntityUpdate> batch, ImmutableArray<Alert> alerts)
    {
        try
        {
            if (!batch.IsEmpty) await feed.OnUpdates(batch);
            if (!alerts.IsEmpty) await feed.OnAlerts(alerts);
        }
        catch (Exception ex)
        {
            // A feed that has gone away is dropped until it registers again; its screens reconnect elsewhere.
            logger.LogDebug(ex, "A live feed did not take a batch; dropping it until it re-registers");
            _feeds = _feeds.Remove(feed);
        }
    }
}

/// <summary>
/// The cluster-wide list of live feeds, one for each process that serves screens. Feeds re-register
/// on a timer and expire when they stop, like the hub list in the Orleans GPS tracker sample.
/// </summary>
public sealed class LiveFeedRegistryGrain(TimeProvider time) : Grain, ILiveFeedRegistryGrain
{
    private static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);
    private readonly Dictionary<ILiveFeed, DateTimeOffset> _feeds = [];

    public Task Register(ILiveFeed feed)
    {
        _feeds[feed] = time.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task Unregister(ILiveFeed feed)
    {
        _feeds.Remove(feed);
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<ILiveFeed>> GetFeeds()
    {
        var now = time.GetUtcNow();
        foreach (var stale in _feeds.Where(f => now - f.Value > Expiry).Select(f => f.Key).ToList())
            _feeds.Remove(stale);
        return Task.FromResult(_feeds.Keys.ToImmutableArray());
    }
}
