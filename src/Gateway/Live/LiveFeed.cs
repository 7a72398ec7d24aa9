using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Gateway.Live;

/// <summary>This process's live feed: the observer the push notifiers send batches to.</summary>
public sealed class LiveFeed(Screens screens) : ILiveFeed
{
    public Task OnUpdates(ImmutableArray<EntityUpdate> updates)
    {
        screens.Deliver(updates);
        return Task.CompletedTask;
    }

    public Task OnAlerts(ImmutableArray<Alert> alerts)
    {
        screens.DeliverAlerts(alerts);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Keeps this process's feed registered with the cluster, re-registering on a timer so that the
/// registry can expire feeds of processes that died, as the hub-list updater does in the Orleans
/// GPS tracker sample.
/// </summary>
public sealed class LiveFeedRegistration(IGrainFactory grains, LiveFeed feed, TimeProvider time, ILogger<LiveFeedRegistration> logger)
    : BackgroundService
{
    // The registry forgets a feed that has not registered for a minute (LiveFeedRegistryGrain): four registrations a
    // minute let three in a row be lost, to a registry that moved with its silo, before this process's screens stop
    // getting updates. Not a setting: it must stay in step with the registry's expiry, which is the silo's.
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ILiveFeed? _reference;

    /// <summary>Completes once the cluster has first accepted this process's feed, from when updates flow here.</summary>
    internal Task Registered => _registered.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _reference = grains.CreateObjectReference<ILiveFeed>(feed);
        var registry = grains.GetGrain<ILiveFeedRegistryGrain>(0);
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                await registry.Register(_reference);
                _registered.TrySetResult();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not register the live feed; retrying in {Period}", Period);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_reference is not null)
        {
            try
            {
                await grains.GetGrain<ILiveFeedRegistryGrain>(0).Unregister(_reference);
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "Could not unregister the live feed on shutdown");
            }
        }
        await base.StopAsync(cancellationToken);
    }
}
