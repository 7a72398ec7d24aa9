using Ioc.Contracts;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Live;

/// <summary>
/// A Gateway whose feed refused one batch (a send that timed out, a process that hiccuped) is not lost to its
/// screens: the push notifier asks the registry again on its next round, so the next updates reach the feed
/// without the Gateway registering again.
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
        // refusal. They take far less than the notifier's periodic refresh of its feed list (2 s), so it is the
        // refusal itself that must bring the feed back.
        await RefusingOnceFeed.ReportThroughClusterFeed(_hub, 41, 44);

        await feed.Updates.First(RefusingOnceFeed.Pm25(44));
    }
}
