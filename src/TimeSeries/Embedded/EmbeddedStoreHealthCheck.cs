using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ioc.TimeSeries;

/// <summary>
/// The embedded store in the readiness detail: its size on disk, its oldest raw point and the retention
/// that bounds both. Informational: it never makes the hub unready. Absent a store, it says what is used.
/// </summary>
public sealed class EmbeddedStoreHealthCheck(
    IOptions<TimeSeriesOptions> timeSeries, IOptions<RetentionOptions> retention, Lazy<EmbeddedStore> store, EmbeddedRetention compactor)
    : IHealthCheck
{
    /// <summary>Name of the check in <c>/health/ready</c>.</summary>
    public const string Name = "embedded-store";

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (timeSeries.Value.Server != TimeSeriesServer.Embedded)
            return Task.FromResult(HealthCheckResult.Healthy($"not used: points go to {timeSeries.Value.Server}"));
        var r = retention.Value;
        var data = new Dictionary<string, object>
        {
            ["bytes"] = store.Value.FileBytes(),
            ["rawRetentionDays"] = r.Raw.TotalDays,
            ["minuteRetentionDays"] = r.Minute.TotalDays,
            ["hourRetentionDays"] = r.Hour.TotalDays,
        };
        if (compactor.LastPass is { } pass)
        {
            data["oldestRawTimestamp"] = pass.OldestRaw is { } oldest ? oldest : "none";
            data["lastRetentionPass"] = pass.At;
        }
        return Task.FromResult(HealthCheckResult.Healthy($"embedded store at {store.Value.FilePath}", data));
    }
}
