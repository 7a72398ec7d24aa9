using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Ioc.Ingest.Storage;

/// <summary>
/// The buffer and the store in the readiness detail. An unreachable store, a full buffer or batches
/// set aside make readiness Degraded, never Unhealthy: ingest still takes points onto disk.
/// </summary>
public sealed class BufferHealthCheck(
    WriteAheadLog buffer, DrainStatus status, DeadLetters deadLetters, TimeSeriesWriter writer, IOptions<BufferOptions> options, TimeProvider time)
    : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var breaker = status.Breaker.CircuitState;
        var data = new Dictionary<string, object>
        {
            ["store"] = writer.Description,
            ["bufferedPoints"] = buffer.UnconfirmedPoints,
            ["bufferedBytes"] = buffer.UnconfirmedBytes,
            ["oldestUnsentSeconds"] = buffer.OldestUnconfirmed is { } oldest ? Math.Round((now - oldest).TotalSeconds, 1) : 0.0,
            ["breaker"] = breaker.ToString(),
            ["deadLetteredBatches"] = deadLetters.Count,
        };
        if (status.LastError is { } error) data["lastError"] = error;
        if (status.LastSuccess is { } success) data["lastSuccess"] = success;

        string? problem = null;
        if (breaker is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated || status.Failing)
            problem = "The time-series store is not taking writes; points are kept in the buffer and sent when it recovers.";
        else if (buffer.UnconfirmedBytes >= options.Value.MaxBytes || buffer.UnconfirmedPoints >= options.Value.MaxPoints)
            problem = "The buffer is full; ingest answers 503 until the store catches up.";
        else if (deadLetters.Count > 0)
            problem = $"{deadLetters.Count} batches were refused by the store and set aside in {deadLetters.DirectoryPath}.";
        return Task.FromResult(problem is null
            ? HealthCheckResult.Healthy("writing to " + writer.Description, data)
            : HealthCheckResult.Degraded(problem, data: data));
    }
}
