namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Where accepted points go, whatever protocol brought them: the live path to the grains. Every
/// ingest endpoint and the simulator call this once the whole request has been validated.
/// </summary>
public sealed class TelemetryIngestor(LivePath livePath)
{
    /// <summary>Takes a fully validated request, whole or not at all.</summary>
    public async ValueTask<IngestOutcome> Accept(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken)
    {
        await livePath.Enqueue(points, cancellationToken);
        return IngestOutcome.Accepted;
    }

    /// <summary>How long a client told <see cref="IngestOutcome.Overloaded"/> should wait before retrying.</summary>
    public TimeSpan RetryAfter => TimeSpan.FromSeconds(5);
}
