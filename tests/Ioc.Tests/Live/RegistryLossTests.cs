using Ioc.Contracts;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Live;

/// <summary>
/// The live-feed registry is not on the path of an update: when it is lost (its silo died) and comes back
/// knowing nothing, the push notifiers go on sending to the feeds they deliver to, and list them there again.
/// </summary>
public sealed class RegistryLossTests : IAsyncLifetime
{
    private HubCluster _hub = null!;

    public async ValueTask InitializeAsync() => _hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), DateTimeOffset.UtcNow);

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();

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
}
