using Polly.CircuitBreaker;

namespace Ioc.TimeSeries;

/// <summary>How the drainer is faring with the store, for metrics and readiness.</summary>
public sealed class DrainStatus
{
    private volatile string? _lastError;
    private volatile bool _failing;
    private long _lastSuccess;
    private long _lastFailure;
    private TaskCompletionSource _nextFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The circuit breaker's state, read from the write pipeline.</summary>
    public CircuitBreakerStateProvider Breaker { get; } = new();

    /// <summary>Whether the last write failed with a transient error: the store is unreachable or unwell.</summary>
    public bool Failing => _failing;

    /// <summary>The message of the last failure, if the last write failed.</summary>
    public string? LastError => _lastError;

    /// <summary>When a batch was last confirmed.</summary>
    public DateTimeOffset? LastSuccess => At(ref _lastSuccess);

    /// <summary>When a write last failed.</summary>
    public DateTimeOffset? LastFailure => At(ref _lastFailure);

    /// <summary>Notes a confirmed batch.</summary>
    public void Succeeded(DateTimeOffset at)
    {
        Interlocked.Exchange(ref _lastSuccess, at.UtcTicks);
        _failing = false;
        _lastError = null;
    }

    /// <summary>Notes a failed write.</summary>
    public void Failed(Exception error, DateTimeOffset at)
    {
        Interlocked.Exchange(ref _lastFailure, at.UtcTicks);
        _lastError = error.Message;
        _failing = true;
        Interlocked.Exchange(ref _nextFailure, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Completes once a write has failed and none has succeeded since: at once if that is so now.</summary>
    internal Task WhenFailing(CancellationToken cancellationToken)
    {
        var next = Volatile.Read(ref _nextFailure).Task;
        return _failing ? Task.CompletedTask : next.WaitAsync(cancellationToken);
    }

    private static DateTimeOffset? At(ref long ticks)
    {
        var t = Interlocked.Read(ref ticks);
        return t == 0 ? null : new DateTimeOffset(t, TimeSpan.Zero);
    }
}
