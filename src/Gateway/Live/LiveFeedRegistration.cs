using System.Threading.Channels;
using Ioc.Contracts;

namespace Ioc.Gateway.Live;

/// <summary>
/// Keeps this process's feed registered with the cluster, re-registering on a timer so that the
/// registry can expire feeds of processes that died, as the hub-list updater does in the Orleans
/// GPS tracker sample; and at once when this process loses a silo's gateway, since the registry may have
/// died with that silo.
/// </summary>
public sealed class LiveFeedRegistration(IGrainFactory grains, Screens screens, TimeProvider time, ILogger<LiveFeedRegistration> logger)
    : BackgroundService, IClusterConnectionStatusObserver
{
    // The registry forgets a feed that has not registered for a minute (LiveFeedRegistryGrain): four registrations a
    // minute let three in a row be lost, to a registry that moved with its silo, before this process's screens stop
    // getting updates. Not a setting: it must stay in step with the registry's expiry, which is the silo's.
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);
    // After a gateway was lost, how soon a registration that failed is tried again: the registry's new activation
    // can be reached once membership has declared its old silo dead, a second or two after the kill.
    private static readonly TimeSpan RetryAfterLoss = TimeSpan.FromSeconds(1);
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // A flag, not a queue: a gateway was lost since the last registration.
    private readonly Channel<bool> _gatewayLost = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private ILiveFeed? _reference;

    /// <summary>Completes once the cluster has first accepted this process's feed, from when updates flow here.</summary>
    internal Task Registered => _registered.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _reference = grains.CreateObjectReference<ILiveFeed>(screens);
        var registry = grains.GetGrain<ILiveFeedRegistryGrain>(0);
        // Set when a gateway was lost, until a registration succeeds.
        var afterLoss = false;
        while (true)
        {
            try
            {
                var attempt = registry.Register(_reference);
                if (afterLoss && !await AnsweredInTime(attempt, stoppingToken))
                {
                    // Lost on its way through the dying silo, or still waiting for it: the registry's new activation is
                    // reached by a new call, at once. The one given up on ends by itself, at the response timeout at most.
                    logger.LogInformation("The live feed's registration was not answered in {Patience}; registering again", RetryAfterLoss);
                    continue;
                }
                await attempt;
                _registered.TrySetResult();
                afterLoss = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not register the live feed; retrying in {Period}", afterLoss ? RetryAfterLoss : Period);
            }
            // The next registration is due after the period, or at once when a gateway is lost.
            using var due = new CancellationTokenSource(afterLoss ? RetryAfterLoss : Period, time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, due.Token);
            try
            {
                await _gatewayLost.Reader.ReadAsync(wake.Token);
                afterLoss = true;
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    // Whether a registration made after a lost gateway was answered (or failed) within RetryAfterLoss. A call that went
    // through the gateway of a silo that died, or to the registry's activation there, may be lost and end only at the
    // response timeout, 5-10 s later, which held every screen of this process without updates for that long in the
    // multi-process kill test (docs/design/cluster.md). One given up on still counts if it succeeds later.
    private async Task<bool> AnsweredInTime(Task attempt, CancellationToken stoppingToken)
    {
        try
        {
            await attempt.WaitAsync(RetryAfterLoss, time, stoppingToken);
            return true;
        }
        catch (TimeoutException) when (!attempt.IsCompleted)
        {
            _ = Late(attempt);
            return false;
        }
    }

    private async Task Late(Task attempt)
    {
        try
        {
            await attempt;
            _registered.TrySetResult();
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "A registration given up on failed later");
        }
    }

    /// <summary>A gateway this process was connected to is gone: its silo may have hosted the registry.</summary>
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
            _gatewayLost.Writer.TryWrite(true);
    }

    public void NotifyClusterConnectionLost() => _gatewayLost.Writer.TryWrite(true);

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
