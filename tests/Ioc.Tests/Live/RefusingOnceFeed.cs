using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Live;

/// <summary>A live feed that refuses its first batch and takes every later one.</summary>
internal sealed class RefusingOnceFeed : ILiveFeed
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
