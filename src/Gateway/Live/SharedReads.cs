namespace Ioc.Gateway.Live;

/// <summary>
/// Reads that callers asking for the same key at the same moment share: at most one read per key runs, and
/// callers that arrive while it runs share the next one, which starts when it ends. A reconnect storm of a
/// hundred screens then costs a handful of reads of the province and of each locality, not a hundred, and
/// every screen gets the same object to send.
/// </summary>
/// <remarks>
/// A caller never gets a read that started before it asked. That is what keeps the live path's rule: a screen
/// watches an entity first and then asks for its snapshot, so the snapshot reflects at least every update
/// published before the watch began, and every later one reaches the screen through its feed. Joining the read
/// already running could return a state older than the watch, and an update published in between would be lost.
/// </remarks>
/// <typeparam name="TKey">What is read: an entity id, or one key for the alerts.</typeparam>
/// <typeparam name="TValue">What a read returns; shared by every caller of that read, so it must not be changed.</typeparam>
internal sealed class SharedReads<TKey, TValue>(Func<TKey, Task<TValue>> read) where TKey : notnull
{
    private sealed class Round
    {
        public readonly TaskCompletionSource<TValue> Result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Slot
    {
        public Round? Running;
        public Round? Waiting;
    }

    private readonly Lock _gate = new();
    // Only keys with a read running: a slot goes when its last read ends, so this is bounded by reads in flight.
    private readonly Dictionary<TKey, Slot> _slots = [];

    /// <summary>How many keys have a read running; for tests.</summary>
    internal int InFlight
    {
        get { lock (_gate) return _slots.Count; }
    }

    /// <summary>The result of a read of <paramref name="key"/> that starts no earlier than this call.</summary>
    public Task<TValue> Read(TKey key)
    {
        Round round;
        lock (_gate)
        {
            if (_slots.TryGetValue(key, out var slot))
            {
                // A read is running, started before this call: wait for the next one, shared with whoever else arrives.
                slot.Waiting ??= new Round();
                return slot.Waiting.Result.Task;
            }
            round = new Round();
            _slots[key] = new Slot { Running = round };
        }
        _ = Run(key, round);
        return round.Result.Task;
    }

    private async Task Run(TKey key, Round round)
    {
        for (Round? next = round; next is not null;)
        {
            try
            {
                next.Result.SetResult(await read(key));
            }
            catch (Exception ex)
            {
                next.Result.SetException(ex);
            }
            lock (_gate)
            {
                var slot = _slots[key];
                next = slot.Running = slot.Waiting;
                slot.Waiting = null;
                if (next is null)
                    _slots.Remove(key);
            }
        }
    }
}
