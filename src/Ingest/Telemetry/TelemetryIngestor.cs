namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Where accepted points go, whatever protocol brought them: the live path to the grains. Every
/// ingest endpoint and the simulator call this once the whole request has been validated.
/// </summary>
public sealed class TelemetryIngestor(LivePath livePath)
{
    /// <summary>Takes a fully validated request.</summary>
    public ValueTask Accept(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken) =>
        livePath.Enqueue(points, cancellationToken);
}
