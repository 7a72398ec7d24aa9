using System.Threading.Channels;
using Ioc.Contracts;

namespace Ioc.Gateway.Live;

/// <summary>
/// Keeps this process's feed registered with the cluster, re-registering on a timer so that the
/// registry can expire feeds of processes that died, as the hub-list updater does in the Orleans
/// GPS tracker sample; and at once when this process loses a silo's gateway, since the registry may have
/// died with that silo.
/// </summary>
/// <remarks>
/// The timer is short (a second) because it is what repairs a registry that was lost, not the lost gateway: when a silo
/// dies, the registry's activation, or the grain directory's entry for it, may go with it, and the next call activates
/// an empty registry on a survivor. The survivors' notifiers then route nothing until a Gateway registers again. Noticing
/// the lost gateway does not always happen (docs/design/cluster.md, "An empty registry after a kill"), so a registration
/// every second bounds the stall whatever this process noticed. A registration is one small call per Gateway process.
/// </remarks>
public sealed class LiveFeedRegistration(IGrainFactory grains, Screens screens, TimeProvider time, ILogger<LiveFeedRegistration> logger)
    : BackgroundService, IClusterConnectionStatusObserver
{
    // How often the feed registers. The registry forgets a feed that has not registered for a minute
    // (LiveFeedRegistryGrain), so many registrations in a row may be lost before this process's screens stop getting
    // updates; and a registry that was lost with its silo knows this feed again within a period.
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    // How long a registration is waited for before the next goes out: a call that went through the gateway of a silo
    // that has just died, or to the registry's activation there, may be lost and end only at the response timeout.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);
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
        // Registrations fail every second while the cluster is unreachable: the first failure of a spell is a warning.
        var failing = false;
        while (true)
        {
            try
            {
                var attempt = registry.Register(_reference);
                if (!await AnsweredInTime(attempt, stoppingToken))
                {
                    // Lost on its way through a dying silo, or still waiting for it: the registry's new activation is
                    // reached by a new call, at once. The one given up on ends by itself, at the response timeout at most.
                    logger.LogDebug("The live feed's registration was not answered in {Patience}; registering again", Patience);
                    continue;
                }
                await attempt;
                _registered.TrySetResult();
                if (failing) logger.LogInformation("The live feed is registered again");
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (!failing) logger.LogWarning(ex, "Could not register the live feed; retrying every {Period}", Period);
                else logger.LogDebug(ex, "Could not register the live feed; retrying in {Period}", Period);
                failing = true;
            }
            // The next registration is due after the period, or at once when a gateway is lost.
            using var due = new CancellationTokenSource(Period, time);
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, due.Token);
            try
            {
                await _gatewayLost.Reader.ReadAsync(wake.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    // Whether a registration was answered (or failed) within Patience. A call that went through the gateway of a silo that
    // died, or to the registry's activation there, may be lost and end only at the response timeout, 5-10 s later, which
    // held every screen of this process without updates for that long in the multi-process kill test
    // (docs/design/cluster.md). One given up on still counts if it succeeds later.
    private async Task<bool> AnsweredInTime(Task attempt, CancellationToken stoppingToken)
    {
        try
        {
            await attempt.WaitAsync(Patience, time, stoppingToken);
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
