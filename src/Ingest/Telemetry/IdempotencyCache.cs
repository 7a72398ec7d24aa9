using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Remembers the answers to requests that carried an <c>Idempotency-Key</c>, per token, so that a unit
/// that resends a request after losing the answer gets the same answer and the request does not take
/// effect twice. Bounded in count (<see cref="IngestOptions.IdempotencyCapacity"/>, oldest forgotten
/// first) and in time (<see cref="IngestOptions.IdempotencyWindow"/>).
/// </summary>
public sealed class IdempotencyCache(IOptions<IngestOptions> options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Token, string Key), Entry> _entries = [];
    private readonly Queue<(string Token, string Key, Entry Entry)> _order = new();

    private sealed class Entry(byte[] bodyHash, DateTimeOffset expires)
    {
        public byte[] BodyHash { get; } = bodyHash;
        public DateTimeOffset Expires { get; } = expires;
        public TaskCompletionSource<WriteOutcome?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What to do with a request that carries a key.</summary>
    public abstract record Claim;

    /// <summary>The key is new: go ahead, then call <see cref="Complete"/>.</summary>
    public sealed record Fresh(string Token, string Key) : Claim;

    /// <summary>The key was seen with this body: answer as then (once known; null when that request was not kept).</summary>
    public sealed record Replay(Task<WriteOutcome?> Outcome) : Claim;

    /// <summary>The key was seen with another body.</summary>
    public sealed record Mismatch : Claim;

    /// <summary>Claims <paramref name="key"/> for <paramref name="token"/>.</summary>
    public Claim Begin(string token, string key, byte[] bodyHash)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            while (_order.TryPeek(out var oldest) && (oldest.Entry.Expires <= now || _entries.Count > options.Value.IdempotencyCapacity))
            {
                _order.Dequeue();
                if (_entries.TryGetValue((oldest.Token, oldest.Key), out var e) && ReferenceEquals(e, oldest.Entry))
                    _entries.Remove((oldest.Token, oldest.Key));
            }
            if (_entries.TryGetValue((token, key), out var entry))
                return entry.BodyHash.AsSpan().SequenceEqual(bodyHash) ? new Replay(entry.Outcome.Task) : new Mismatch();
            entry = new Entry(bodyHash, now + options.Value.IdempotencyWindow);
            _entries[(token, key)] = entry;
            _order.Enqueue((token, key, entry));
            if (_entries.Count > options.Value.IdempotencyCapacity && _order.TryDequeue(out var evicted)
                && _entries.TryGetValue((evicted.Token, evicted.Key), out var old) && ReferenceEquals(old, evicted.Entry))
            {
                _entries.Remove((evicted.Token, evicted.Key));
                evicted.Entry.Outcome.TrySetResult(null);
            }
            return new Fresh(token, key);
        }
    }

    /// <summary>
    /// Records the answer to a fresh claim. Answers that say "try again" (<paramref name="keep"/> false)
    /// are not kept, so the retry takes effect.
    /// </summary>
    public void Complete(Fresh claim, WriteOutcome outcome, bool keep)
    {
        Entry? entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue((claim.Token, claim.Key), out entry)) return;
            if (!keep) _entries.Remove((claim.Token, claim.Key));
        }
        entry.Outcome.TrySetResult(keep ? outcome : null);
    }
}
