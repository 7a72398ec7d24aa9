using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Live;

/// <summary>
/// A Gateway whose feed refused one batch (a send that timed out, a process that hiccuped) is not lost to its
/// screens: the push notifier keeps the feed and sends it the next batch (and asks the registry again at once), so
/// the next updates reach the feed without the Gateway registering again.
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
        for (var value = 41; value <= 44; value++)
        {
            var mark = _hub.Feed.Mark();
            await _hub.Report("van-lam-air-1", ("pm25", value));
            await _hub.Feed.Update(Matches(value), mark);
        }

        await feed.Updates.First(Matches(44));
    }

    private static Func<EntityUpdate, bool> Matches(double value) =>
        u => u.Id == "van-lam-air-1" && u.Metrics.Any(m => m.Metric == "pm25" && m.Value == value);

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
    }
}
