namespace Ioc.Silo.Grains;

/// <summary>
/// The base of the hub's grains: an activation yields once before any of the grain's own code runs.
/// </summary>
/// <remarks>
/// Orleans starts an activation under the activation's lock, and when activating completes without
/// yielding it goes straight on to the requests that waited for it, still under that lock. A call such a
/// request sends to another activation on the same silo takes that activation's lock to queue the call. Two
/// activations starting at the same moment whose first requests call each other (the live-feed registry
/// tells the push notifier of a new feed while the notifier's first update asks the registry for the feeds)
/// then wait for each other's lock forever, and so does every thread that later delivers to either, until
/// the silo has no threads left. Yielding first lets the start-up finish and release the lock before any
/// request runs; it costs one scheduling hop per activation.
/// </remarks>
public abstract class YieldingGrain : Grain
{
    public sealed override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        await StartAsync(cancellationToken);
    }

    /// <summary>What the grain does as it activates, outside the activation's start-up lock.</summary>
    protected virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
