namespace Ioc.Contracts;

/// <summary>
/// The calls to one receiver that were given up on and have not ended yet. A call that is not answered within its
/// sender's patience is left to end by itself and the next one goes out beside it: a call sent through a silo that
/// dies before membership says so is lost, and ends only at the response timeout, so waiting for it would hold
/// every later call back that long. But only a few go out so (<see cref="Most"/>): past that, the next call is
/// awaited to its end, so that a receiver that is merely slow is not sent ever more calls. The live path's calls to
/// a unit, a notifier's batches to a feed and a silo's publishes to its notifier follow this one rule.
/// </summary>
/// <remarks>Safe to use from several threads; a grain uses it from its own turns.</remarks>
public sealed class UnansweredCalls
{
    /// <summary>Most calls given up on and not yet ended, beyond which the next call is awaited to its end.</summary>
    public const int Most = 3;

    private int _count;

    /// <summary>How many calls were given up on and have not ended.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether the next call may be given up on after the sender's patience, or must be awaited to its end.</summary>
    public bool MayGiveUp => Count < Most;

    /// <summary>
    /// Counts <paramref name="call"/> as given up on until it ends. The task returned ends once it is no longer
    /// counted; it never fails (the call's own failure is observed here: it was counted when it was given up on).
    /// </summary>
    public Task GiveUp(Task call)
    {
        Interlocked.Increment(ref _count);
        return call.ContinueWith(static (late, state) =>
        {
            _ = late.Exception;
            Interlocked.Decrement(ref ((UnansweredCalls)state!)._count);
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
