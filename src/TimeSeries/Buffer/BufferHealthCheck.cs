using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Ioc.TimeSeries;

/// <summary>
/// The buffer, its disk and the store in the readiness detail, with <c>exhausted</c> naming what ingest is short
/// of (disk, buffer, store, breaker). An unreachable store, a full buffer or disk, or batches set aside make
/// readiness Degraded, never Unhealthy: the rest of the hub still serves, and ingest recovers by itself.
/// </summary>
public sealed class BufferHealthCheck(
    WriteAheadLog buffer, DrainStatus status, DeadLetters deadLetters, TimeSeriesWriter writer, IngestCapacity capacity, TimeProvider time,
    IOptionsMonitor<BufferOptions> options)
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
            ["bufferMaxPoints"] = options.CurrentValue.MaxPoints,
            ["bufferMaxBytes"] = options.CurrentValue.MaxBytes,
            ["oldestUnsentSeconds"] = buffer.OldestUnconfirmed is { } oldest ? Math.Round((now - oldest).TotalSeconds, 1) : 0.0,
            ["breaker"] = breaker.ToString(),
            ["deadLetteredBatches"] = deadLetters.Count,
            ["diskFreeBytes"] = capacity.FreeDiskBytes ?? -1,
            ["diskReserveBytes"] = options.CurrentValue.MinFreeDiskBytes,
        };
        var exhausted = capacity.Exhausted();
        data["exhausted"] = exhausted.Select(e => e.Resource.ToString().ToLowerInvariant()).ToArray();
        if (status.LastError is { } error) data["lastError"] = error;
        if (status.LastSuccess is { } success) data["lastSuccess"] = success;

        string? problem = null;
        if (exhausted.FirstOrDefault(e => e.Resource == IngestResource.Disk).Why is { } disk)
            problem = $"Ingest answers 503: {disk}. It takes points again as soon as space returns.";
        else if (breaker is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated || status.Failing)
            problem = "The time-series store is not taking writes; points are kept in the buffer and sent when it recovers.";
        else if (exhausted.FirstOrDefault(e => e.Resource == IngestResource.Buffer).Why is { } full)
            problem = $"Ingest answers 503: {full}; it takes points again once the store catches up.";
        else if (deadLetters.Count > 0)
            problem = $"{deadLetters.Count} batches were refused by the store and set aside in {deadLetters.DirectoryPath}.";
        return Task.FromResult(problem is null
            ? HealthCheckResult.Healthy("writing to " + writer.Description, data)
            : HealthCheckResult.Degraded(problem, data: data));
    }
}
