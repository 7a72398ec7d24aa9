using System.Collections.Immutable;

namespace Ioc.Tests.Live;

/// <summary>
/// A Gateway whose feed refused one batch (a send that timed out, a process that hiccuped) is not lost to its
/// screens: the push notifier keeps the feed and sends it the next batch (and asks the registry again at once), so
/// the next updates reach the feed without the Gateway registering again. Nor is the live-feed registry on the path
/// of an update: when it is lost (its silo died) and comes back knowing nothing, the push notifiers go on sending to
/// the feeds they deliver to, and list them there again.
/// </summary>
public sealed class FeedRecoveryTests : IAsyncLifetime
{
    private HubCluster _hub = null!;

    public async ValueTask InitializeAsync() => _hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), DateTimeOffset.UtcNow);

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task A_feed_that_refused_a_batch_receives_the_next_update_without_registering_again()
    {
        var feed = new RefusingOnceFeed();
        await _hub.Client.GetGrain<ILiveFeedRegistryGrain>(0).Register(_hub.Client.CreateObjectReference<ILiveFeed>(feed));

        await _hub.Report("van-lam-air-1", ("pm25", 40));
        await feed.Refused.WaitAsync(Signals<EntityUpdate>.Patience, TestContext.Current.CancellationToken);

        // A few rounds through the push path, each seen by the cluster's own feed, let the notifier take in the
        // refusal. They take far less than the notifier's periodic refresh of its feed list (2 s), so the feed must
        // not have been dropped for the refusal.
        await RefusingOnceFeed.ReportThroughClusterFeed(_hub, 41, 44);

        await feed.Updates.First(RefusingOnceFeed.Pm25(44));
    }

    [Fact]
    public async Task A_registry_that_lost_its_feeds_stops_no_update_and_learns_the_live_feeds_again_from_the_notifiers()
    {
        var mark = _hub.Feed.Mark();
        await _hub.Report("van-lam-air-1", ("pm25", 40));
        await _hub.Feed.Update(RefusingOnceFeed.Pm25(40), mark);

        // The registry is lost and comes back empty, as when its silo is killed.
        var registry = _hub.Client.GetGrain<ILiveFeedRegistryGrain>(0);
        await registry.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        var late = new RefusingOnceFeed();
        var lateReference = _hub.Client.CreateObjectReference<ILiveFeed>(late);
        // A feed registering now is the only one the new registry knows; it refuses its first batch, which
        // makes the notifier read the registry's list at once, a list without the cluster's own feed.
        await registry.Register(lateReference);
        Assert.Equal([lateReference], await registry.GetFeeds());
        await _hub.Report("van-lam-air-1", ("pm25", 41));
        await late.Refused.WaitAsync(Signals<EntityUpdate>.Patience, TestContext.Current.CancellationToken);

        // The cluster's own feed never registered again, yet updates keep reaching it.
        await RefusingOnceFeed.ReportThroughClusterFeed(_hub, 42, 44);
        await late.Updates.First(RefusingOnceFeed.Pm25(44));
    }

    [Fact]
    public async Task A_silo_that_takes_over_a_killed_silos_units_sends_their_updates_to_the_feeds_it_knew_although_the_registry_died_too()
    {
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), DateTimeOffset.UtcNow, silos: 2);
        var registry = hub.Client.GetGrain<ILiveFeedRegistryGrain>(0);
        var lost = await hub.SiloHosting(registry);
        // A unit on the registry's silo.
        string? unit = null;
        foreach (var candidate in hub.Catalog.Entities.Where(e => e.Kind == EntityKind.Unit && e.Metrics.Contains("pm25")))
        {
            await hub.Report(candidate.Id, ("pm25", 40));
            if ((await hub.SiloHosting(hub.Client.GetGrain<IUnitGrain>(candidate.Id))).Equals(lost))
            {
                unit = candidate.Id;
                break;
            }
        }
        Assert.True(unit is not null, "no unit reporting pm25 was placed on the silo of the live-feed registry");
        var survivor = (await hub.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, TestContext.Current.CancellationToken))
            .Keys.Single(s => !s.Equals(lost));

        // A Gateway's feed registers now. The registry tells its own silo's notifier; the survivor's hears of it only by
        // reading the registry, which a notifier started with its silo does by itself every few seconds, whether or not
        // it has anything to send (Start reads it at once).
        var gateway = new FeedProbe();
        var gatewayFeed = hub.Client.CreateObjectReference<ILiveFeed>(gateway);
        await registry.Register(gatewayFeed);
        var notifier = hub.Client.GetGrain<IPushNotifierGrain>(hub.SiloIdentity(survivor));
        await notifier.Start();
        Assert.Contains(gatewayFeed, await notifier.GetFeeds());

        // The registry dies with the unit, and its next activation knows no feed; the feed does not register again.
        await hub.KillSilo(lost);
        Assert.Empty(await registry.GetFeeds());
        var mark = gateway.Mark();
        await hub.Report(unit, ("pm25", 41));
        Assert.Equal(survivor, await hub.SiloHosting(hub.Client.GetGrain<IUnitGrain>(unit)));
        await gateway.Update(u => u.Id == unit && u.Metrics.Any(m => m.Metric == "pm25" && m.Value == 41), mark);
    }

    /// <summary>A live feed that refuses its first batch and takes every later one.</summary>
    private sealed class RefusingOnceFeed : ILiveFeed
    {
        private readonly TaskCompletionSource _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _batches;

        public Task Refused => _refused.Task;

        public Signals<EntityUpdate> Updates { get; } = new();

        public Task OnUpdates(ImmutableArray<EntityUpdate> updates)
        {
            if (Interlocked.Increment(ref _batches) == 1)
            {
                _refused.TrySetResult();
                return Task.FromException(new InvalidOperationException("This feed refuses its first batch."));
            }
            Updates.Add(updates);
            return Task.CompletedTask;
        }

        public Task OnAlerts(ImmutableArray<Alert> alerts) => Task.CompletedTask;

        /// <summary>An update of van-lam-air-1 carrying pm25 = <paramref name="value"/>.</summary>
        public static Func<EntityUpdate, bool> Pm25(double value) =>
            u => u.Id == "van-lam-air-1" && u.Metrics.Any(m => m.Metric == "pm25" && m.Value == value);

        /// <summary>Reports pm25 = <paramref name="first"/>…<paramref name="last"/> one at a time, each awaited at the cluster's own feed.</summary>
        public static async Task ReportThroughClusterFeed(HubCluster hub, int first, int last)
        {
            for (var value = first; value <= last; value++)
            {
                var mark = hub.Feed.Mark();
                await hub.Report("van-lam-air-1", ("pm25", value));
                await hub.Feed.Update(Pm25(value), mark);
            }
        }
    }
}
