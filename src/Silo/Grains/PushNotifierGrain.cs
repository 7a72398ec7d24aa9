using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>
/// Gathers updates from the entity grains of this silo, and alerts, and sends them to every live feed, one per
/// process that serves screens (the observer-registry pattern of the Orleans GPS tracker sample).
/// Each feed has its own queue and one batch in flight (a few only while batches go unanswered, see
/// <see cref="FeedQueue"/>): while a batch is in flight, updates to the same entity fold into one (and changes to
/// the same alert, newest version kept), so a feed receives at most one update per entity per round trip, a
/// burst costs a handful of calls, and a slow or dead Gateway never delays the others.
/// </summary>
/// <remarks>
/// Everything here runs on the activation's scheduler: <see cref="Publish"/> returns at once and the
/// sends continue between later turns, as the entity grains' update pumps do.
/// <para>
/// The registry is not on the path of an update: routing waits for it only while no feed is known at all, and
/// the refresh runs beside the routing. Feeds are added from the registry's lists and dropped only when sends to
/// them have failed for a minute, so a registry that was lost with its silo and reactivated empty stops no update,
/// nor does a send that failed because it went through a silo that has just died; the notifier registers the
/// feeds it delivers to again, which rebuilds the registry within one refresh period. Each silo's notifier is started
/// with the silo and keeps its list fresh from then on (<see cref="Start"/>), so a silo that takes over the units of a
/// killed one already knows where to send their updates.
/// </para>
/// <para>
/// One per silo, keyed by the silo's runtime identity and placed there, not a stateless worker: a Gateway's
/// answer to <see cref="ILiveFeed.OnUpdates"/> may come back through another silo's gateway, which finds the
/// caller by grain id. For a stateless worker that is its own silo's worker, which drops the answer, so the
/// call times out and the feed is dropped. (Orleans also retires a stateless worker that looks idle between
/// turns, as this one does while its sends are in flight.)
/// </para>
/// </remarks>
[Orleans.Placement.PreferLocalPlacement]
// Feed liveness is infrastructure time, as in the registry below: the process's clock, not the hub's domain clock.
public sealed class PushNotifierGrain(TimeProvider time, ILogger<PushNotifierGrain> logger) : YieldingGrain, IPushNotifierGrain
{
    // How stale this silo's copy of the feed list may get; the registry's own silo is told at once. After a failed
    // send the list is read again on the next round, not after this period, so a clock held still by a test
    // delays only the periodic refresh.
    private static readonly TimeSpan FeedRefreshPeriod = TimeSpan.FromSeconds(2);
    // How stale an empty list may get. A notifier that first activates right after a silo was killed (its silo had
    // none of the moved grains before) may read the registry's new, empty activation before the Gateways register
    // again, which they do as soon as they notice the lost silo; it must not wait the full period to hear of them.
    private static readonly TimeSpan EmptyRefreshPeriod = TimeSpan.FromMilliseconds(250);
    // How long sends to a feed may keep failing before it is dropped: as long as the registry keeps a feed that
    // stopped registering, so that only a process that is gone is dropped, not one whose route broke for a while.
    private static readonly TimeSpan FeedGiveUpAfter = TimeSpan.FromMinutes(1);
    // How long a feed's batch is waited for before the next goes out beside it (UnansweredCalls). A Gateway on a loaded
    // node answers within tens of milliseconds; one that does not within a second is behind a silo that has died.
    private static readonly TimeSpan SendPatience = TimeSpan.FromSeconds(1);
    private TimeProvider Clock => time;
    private readonly ILogger _logger = logger;
    private readonly Dictionary<string, EntityUpdate> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _pendingAlerts = new(StringComparer.Ordinal);
    private readonly Dictionary<ILiveFeed, FeedQueue> _queues = [];
    private long _feedsFetched;
    private bool _feedsKnown;
    private Task _routing = Task.CompletedTask;
    private Task _refreshing = Task.CompletedTask;
    // A send failed: ask the registry on the next round rather than after the refresh period.
    private bool _refreshNow;
    // Keeps the feed list fresh while the silo has nothing to send (Start).
    private IGrainTimer? _keepingFresh;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        UpdatePump.Settle(Task.WhenAll([_routing, .. _queues.Values.Select(q => q.Running)]).WaitAsync(cancellationToken), reason);

    // Kept for a silo of the previous version during a rolling upgrade; this version publishes through PublishMany.
    public Task Publish(EntityUpdate update) => PublishMany([update]);

    public Task PublishMany(ImmutableArray<EntityUpdate> updates)
    {
        foreach (var update in updates)
            Fold(_pending, update);
        if (_routing.IsCompleted && !updates.IsEmpty)
            _routing = Route();
        return Task.CompletedTask;
    }

    public Task PublishAlert(Alert alert)
    {
        Fold(_pendingAlerts, alert);
        if (_routing.IsCompleted)
            _routing = Route();
        return Task.CompletedTask;
    }

    public Task FeedsChanged(ImmutableArray<ILiveFeed> feeds)
    {
        UseFeeds(feeds);
        return Task.CompletedTask;
    }

    // The notifiers of silos that run none of the units were first activated by a unit's update, after a kill had moved
    // the units to them, and asked the registry then; a registry lost with the same silo knew no feed until a Gateway
    // registered again, which added up to a second to the time the wall went without live values
    // (docs/design/cluster.md, "Notifiers that know the feeds before a kill").
    public async Task Start()
    {
        _keepingFresh ??= this.RegisterGrainTimer(KeepFeedsFresh, new GrainTimerCreationOptions
        {
            DueTime = FeedRefreshPeriod,
            Period = FeedRefreshPeriod,
            KeepAlive = true,
        });
        if (_refreshing.IsCompleted)
            _refreshing = RefreshFeeds(routing: false);
        await _refreshing;
    }

    public Task<ImmutableArray<ILiveFeed>> GetFeeds() => Task.FromResult(_queues.Keys.ToImmutableArray());

    // The read runs between turns, as a refresh from routing does; one at a time.
    private Task KeepFeedsFresh(CancellationToken cancellationToken)
    {
        if (_refreshing.IsCompleted && Clock.GetElapsedTime(_feedsFetched) >= FeedRefreshPeriod)
            _refreshing = RefreshFeeds(routing: false);
        return Task.CompletedTask;
    }

    /// <summary>Hands pending updates to every feed's queue, refreshing the feed list when it is stale.</summary>
    private async Task Route()
    {
        while (_pending.Count > 0 || _pendingAlerts.Count > 0)
        {
            // With no feed known there is nobody to send to: only then does routing wait for the registry.
            if (!_feedsKnown)
                await RefreshFeeds();
            else if ((_refreshNow || Clock.GetElapsedTime(_feedsFetched) > (_queues.Count == 0 ? EmptyRefreshPeriod : FeedRefreshPeriod))
                && _refreshing.IsCompleted)
                _refreshing = RefreshFeeds();
            var batch = _pending.Values.ToArray();
            _pending.Clear();
            var alerts = _pendingAlerts.Values.ToArray();
            _pendingAlerts.Clear();
            foreach (var queue in _queues.Values)
                queue.Post(batch, alerts);
        }
    }

    // A read for routing settles whether anyone is there to send to; one made while idle (routing: false) only adds feeds.
    private async Task RefreshFeeds(bool routing = true)
    {
        _refreshNow = false;
        _feedsFetched = Clock.GetTimestamp();
        var registry = GrainFactory.GetGrain<ILiveFeedRegistryGrain>(0);
        try
        {
            // Bounded as a send is (SendPatience): a read that went to the registry's activation on a silo that has just
            // died may be lost and end only at the response timeout, and a notifier that knows no feed routes nothing
            // until a read answers. The read given up on is left to end by itself; the next round reads again.
            var read = registry.GetFeeds();
            ImmutableArray<ILiveFeed> feeds;
            try
            {
                feeds = await read.WaitAsync(SendPatience);
            }
            catch (TimeoutException) when (!read.IsCompleted)
            {
                read.Ignore();
                throw;
            }
            UseFeeds(feeds, routing);
            // A registry reactivated after its silo was lost knows none of the feeds until their processes
            // register again (every second); the feeds this notifier delivers to are alive, and it says so now.
            foreach (var (feed, queue) in _queues)
                if (queue.Delivered && !feeds.Contains(feed))
                    registry.Register(feed).Ignore();
        }
        catch (Exception ex)
        {
            // Keep the feeds we know; screens that miss updates resynchronise on the sequence gap.
            _logger.LogWarning(ex, "Could not refresh the live feeds; using the {Count} known", _queues.Count);
            _feedsFetched = Clock.GetTimestamp();
        }
    }

    // Adds feeds only: a feed is dropped when a send to it fails, never because a list lacks it. A list may be
    // older than what this notifier knows, or come from a registry that has just lost everything with its silo.
    // An empty list read while idle leaves routing as it was, so that the first update still waits for a read: a
    // Gateway that registers after the silo started is known to the registry before this notifier hears of it.
    private void UseFeeds(ImmutableArray<ILiveFeed> feeds, bool routing = true)
    {
        if (routing || !feeds.IsEmpty)
            _feedsKnown = true;
        _feedsFetched = Clock.GetTimestamp();
        foreach (var feed in feeds)
            if (!_queues.ContainsKey(feed))
                _queues[feed] = new FeedQueue(feed, this);
    }

    private static void Fold(Dictionary<string, EntityUpdate> pending, EntityUpdate update) =>
        pending[update.Id] = pending.TryGetValue(update.Id, out var earlier) ? LiveUpdates.Merge(earlier, update) : update;

    private static void Fold(Dictionary<string, Alert> pending, Alert alert)
    {
        if (!pending.TryGetValue(alert.Id, out var earlier) || earlier.Version < alert.Version)
            pending[alert.Id] = alert;
    }

    /// <summary>
    /// One feed's pending updates and alerts, folded by entity and alert, and its one batch in flight; a batch that is
    /// not answered within <see cref="SendPatience"/> is left to finish by itself and the next one goes out.
    /// </summary>
    private sealed class FeedQueue(ILiveFeed feed, PushNotifierGrain owner)
    {
        private readonly Dictionary<string, EntityUpdate> _pending = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Alert> _pendingAlerts = new(StringComparer.Ordinal);
        // Sends given up on that have not ended yet.
        private readonly UnansweredCalls _unanswered = new();

        public Task Running { get; private set; } = Task.CompletedTask;

        /// <summary>Whether the last send to this feed succeeded.</summary>
        public bool Delivered { get; private set; }

        // When sends to this feed started failing, or 0 while they succeed.
        private long _failingSince;
        private bool _dropped;

        public void Post(EntityUpdate[] batch, Alert[] alerts)
        {
            foreach (var update in batch)
                Fold(_pending, update);
            foreach (var alert in alerts)
                Fold(_pendingAlerts, alert);
            if (Running.IsCompleted)
                Running = Pump();
        }

        // Alerts go only while no send is outstanding: an alert's versions must reach the screens in order, which an
        // update's sequence numbers make unnecessary for updates.
        private bool AlertsMayGo => _pendingAlerts.Count > 0 && _unanswered.Count == 0;

        private async Task Pump()
        {
            while (!_dropped && (_pending.Count > 0 || AlertsMayGo))
            {
                var batch = _pending.Values.ToImmutableArray();
                _pending.Clear();
                var alerts = ImmutableArray<Alert>.Empty;
                if (AlertsMayGo)
                {
                    alerts = _pendingAlerts.Values.ToImmutableArray();
                    _pendingAlerts.Clear();
                }
                var send = Send(batch, alerts);
                if (!_unanswered.MayGiveUp)
                {
                    await send;
                    continue;
                }
                // A call that went through a silo's gateway just as that silo died is lost, and ends only at the response
                // timeout (10 s); waiting for it held every update of this silo back from the feed's screens for that
                // long. Updates that arrive meanwhile are newer and go next: a screen orders them by sequence
                // (LiveUpdates.Merge and the screen's own check), so a late batch can never show an older value.
                // Real time, like the update pumps' retry delay: this waits on the network, not on anything in the domain.
                try
                {
                    await send.WaitAsync(SendPatience);
                }
                catch (TimeoutException)
                {
                    _ = Late(send);
                }
            }
        }

        private async Task Late(Task send)
        {
            await _unanswered.GiveUp(send);
            if (_unanswered.Count == 0 && _pendingAlerts.Count > 0 && Running.IsCompleted && !_dropped)
                Running = Pump();
        }

        // Never throws: a failure is recorded here, for the send given up on as for the one awaited.
        private async Task Send(ImmutableArray<EntityUpdate> batch, ImmutableArray<Alert> alerts)
        {
            try
            {
                if (!batch.IsEmpty) await feed.OnUpdates(batch);
                if (!alerts.IsEmpty) await feed.OnAlerts(alerts);
                Delivered = true;
                _failingSince = 0;
            }
            catch (Exception ex)
            {
                // The batch is lost to this feed: its screens see the sequence gap, or reconnect elsewhere,
                // and resynchronise. The feed is kept and the next batch is tried: a send fails when the silo
                // whose gateway carried it has just died, and the feed is reached again through another as soon
                // as membership says so. Dropping it then left it unreachable until the registry listed it
                // again, which, if the registry had died with the same silo, was when its Gateway next
                // registered (up to 15 s then; a second now). Only a feed that keeps failing is dropped, as the
                // registry drops it.
                // Only the batch is lost: updates that arrived while it was in flight are newer, and go next.
                Delivered = false;
                owner._refreshNow = true;
                if (_failingSince == 0)
                    _failingSince = owner.Clock.GetTimestamp();
                if (owner.Clock.GetElapsedTime(_failingSince) < FeedGiveUpAfter)
                {
                    owner._logger.LogDebug(ex, "A live feed did not take a batch of {Count} updates; trying it again with the next", batch.Length);
                    return;
                }
                _dropped = true;
                _pending.Clear();
                _pendingAlerts.Clear();
                owner._logger.LogDebug(ex, "A live feed has not taken a batch for {GiveUpAfter}; dropping it until the registry lists it again", FeedGiveUpAfter);
                if (owner._queues.TryGetValue(feed, out var current) && current == this)
                    owner._queues.Remove(feed);
            }
        }
    }
}

/// <summary>
/// The cluster-wide list of live feeds, one for each process that serves screens. Feeds re-register
/// on a timer and expire when they stop, like the hub list in the Orleans GPS tracker sample.
/// </summary>
// Process liveness is infrastructure time, not the hub's domain clock.
public sealed class LiveFeedRegistryGrain(TimeProvider time) : YieldingGrain, ILiveFeedRegistryGrain
{
    private static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);
    private readonly Dictionary<ILiveFeed, DateTimeOffset> _feeds = [];

    public Task Register(ILiveFeed feed)
    {
        var added = _feeds.TryAdd(feed, time.GetUtcNow());
        _feeds[feed] = time.GetUtcNow();
        if (added) TellLocalNotifier();
        return Task.CompletedTask;
    }

    public Task Unregister(ILiveFeed feed)
    {
        if (_feeds.Remove(feed)) TellLocalNotifier();
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<ILiveFeed>> GetFeeds()
    {
        var now = time.GetUtcNow();
        foreach (var stale in _feeds.Where(f => now - f.Value > Expiry).Select(f => f.Key).ToList())
            _feeds.Remove(stale);
        return Task.FromResult(_feeds.Keys.ToImmutableArray());
    }

    private void TellLocalNotifier() =>
        GrainFactory.GetGrain<IPushNotifierGrain>(RuntimeIdentity).FeedsChanged([.. _feeds.Keys]).Ignore();
}
