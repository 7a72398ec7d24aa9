using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>
/// Carries an entity's changes to its parents and to the wall. While a send is in flight further
/// changes only mark the entity dirty, so a burst of any size costs one report per parent per round
/// trip, and the last change of the burst is always sent. At most one report per parent is in flight.
/// With a minimum interval, sends are also at least that far apart, so a busy roll-up recomputes at a
/// bounded rate whatever its children do.
/// </summary>
/// <remarks>
/// The pump runs on the grain's own scheduler (it is started from grain code and never leaves it),
/// so <c>build</c> sees grain state between turns, never during one. It hands its reports and updates to
/// the silo's <see cref="UpwardReports"/>, which sends every child's report to a parent, and every
/// entity's update to the wall, in one call per round; the pump awaits its reports' call on its own scheduler.
/// </remarks>
internal sealed class UpdatePump(
    string entityId, Catalog catalog, IGrainFactory grains, IPushNotifierGrain notifier, UpwardReports upward, ILogger logger,
    TimeSpan minInterval = default)
{
    private readonly IRollupGrain[] _parents = catalog.ParentsOf(entityId)
        .Select(p => grains.RollupFor(catalog.Entity(p))).ToArray();
    private Func<long, bool, (ChildReport Parent, EntityUpdate Wall)>? _build;
    private Task _running = Task.CompletedTask;
    private bool _dirty;
    private bool _resendAll;
    private bool _draining;
    private long _lastSend;

    // How long a pump waits after its parents could not be reached before sending everything again: long enough
    // not to spin against a silo that is going down, short next to the seconds a screen tolerates. Real time, like
    // the pacing below: these wait on the network and the CPU, and a roll-up must keep reporting in tests that
    // hold the hub's clock still.
    internal static readonly TimeSpan ParentRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The sequence number of the last update sent. It starts from the activation time in
    /// microseconds, so it keeps rising across reactivations and a screen sees the jump as a gap. It
    /// reads the real clock, not the hub's domain clock, which tests may hold still.
    /// </summary>
    public long Sequence { get; private set; } = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>Notes a change; <paramref name="build"/> turns the pending changes into a report and an update.</summary>
    /// <remarks>The bool argument of <paramref name="build"/> asks for everything, not just what changed.</remarks>
    public void MarkDirty(Func<long, bool, (ChildReport Parent, EntityUpdate Wall)> build)
    {
        _build = build;
        _dirty = true;
        if (_running.IsCompleted)
            _running = Run();
    }

    /// <summary>Like <see cref="MarkDirty"/>, but the next send carries everything, not just what changed.</summary>
    public void MarkAllDirty(Func<long, bool, (ChildReport Parent, EntityUpdate Wall)> build)
    {
        _resendAll = true;
        MarkDirty(build);
    }

    /// <summary>Waits for the changes already noted to be sent.</summary>
    /// <remarks>
    /// Called as the grain deactivates: a report that then fails is not retried, since its parent may be
    /// shutting down too; the next activation sends everything again anyway.
    /// </remarks>
    public Task Drain()
    {
        _draining = true;
        return _running;
    }

    // How long a grain going with its silo waits for its last sends. When the whole cluster shuts down the grains
    // they go to are going too, and a call to a grain that is going waits out the response timeout (30 s); in a
    // rolling restart they answer in milliseconds. The next activation sends everything again either way.
    internal static readonly TimeSpan ShutdownDrainLimit = TimeSpan.FromSeconds(2);

    /// <summary>Waits for <paramref name="sends"/>; when the silo shuts down, at most <see cref="ShutdownDrainLimit"/>.</summary>
    internal static async Task Settle(Task sends, DeactivationReason reason)
    {
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            await sends;
            return;
        }
        try
        {
            await sends.WaitAsync(ShutdownDrainLimit);
        }
        catch (TimeoutException) when (!sends.IsCompleted)
        {
            sends.Ignore();
        }
    }

    private Task Send(ChildReport report)
    {
        if (_parents.Length == 1)
            return upward.Report(_parents[0], report);
        var sends = new Task[_parents.Length];
        for (var i = 0; i < sends.Length; i++)
            sends[i] = upward.Report(_parents[i], report);
        return Task.WhenAll(sends);
    }

    private async Task Run()
    {
        while (_dirty)
        {
            // Real time, as for the sequence: the pacing is about CPU, not about anything in the domain.
            var wait = minInterval - TimeProvider.System.GetElapsedTime(_lastSend);
            if (_lastSend != 0 && wait > TimeSpan.Zero && !_draining)
                await Task.Delay(wait);
            _lastSend = TimeProvider.System.GetTimestamp();
            _dirty = false;
            var full = _resendAll;
            _resendAll = false;
            var (report, update) = _build!(++Sequence, full);
            upward.Publish(notifier, update).Ignore();
            if (_parents.Length == 0)
                continue;
            try
            {
                await Send(report);
            }
            catch (Exception ex) when (_draining)
            {
                logger.LogDebug(ex, "Entity {EntityId} could not report to its parents while deactivating", entityId);
                return;
            }
            catch (Exception ex)
            {
                // A parent missed this report; send everything again once it can be reached.
                logger.LogWarning(ex, "Entity {EntityId} could not report to its parents; retrying", entityId);
                _resendAll = true;
                _dirty = true;
                await Task.Delay(ParentRetryDelay);
            }
        }
    }
}
