using System.Buffers;
using Ioc.Ingest.Storage;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Where accepted points go, whatever protocol brought them: first onto disk in the write-ahead
/// buffer, from which the drainer sends them to the time-series store, then along the live path to
/// the grains. Every ingest endpoint and the simulator call this once the whole request has been validated.
/// When the store is a time-series server, the request is formatted as its line protocol here, once, and
/// buffered as such: the drainer sends it on without formatting any point again.
/// </summary>
public sealed class TelemetryIngestor(
    WriteAheadLog buffer, LivePath livePath, TimeSeriesWriter writer, LineProtocolFormatter formatter, IngestMetrics metrics,
    IOptions<BufferOptions> options, ILogger<TelemetryIngestor> logger)
{
    /// <summary>
    /// Takes a fully validated request, whole or not at all. <see cref="IngestOutcome.Accepted"/> means the
    /// points are on local disk; <see cref="IngestOutcome.Overloaded"/> means nothing was kept.
    /// </summary>
    public async ValueTask<IngestOutcome> Accept(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0)
            return IngestOutcome.Accepted;
        bool kept;
        try
        {
            kept = await (writer.TakesLines ? AppendLines(points, cancellationToken) : buffer.Append(points, cancellationToken));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A disk that cannot take the points (or a buffer already closed for shutdown): nothing was kept, so say so.
            logger.LogError(ex, "The write-ahead buffer could not keep a request of {Points} points", points.Count);
            kept = false;
        }
        if (!kept)
        {
            metrics.Overloaded();
            return IngestOutcome.Overloaded;
        }
        await livePath.Enqueue(points, cancellationToken);
        return IngestOutcome.Accepted;
    }

    private ValueTask<bool> AppendLines(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken)
    {
        var (lines, length, precision) = formatter.FormatUtf8(points);
        try
        {
            return buffer.AppendLines(lines.AsSpan(0, length), points.Count, precision, cancellationToken);
        }
        finally
        {
            // The buffer copied the lines into its record before answering.
            ArrayPool<byte>.Shared.Return(lines);
        }
    }

    /// <summary>How long a client told <see cref="IngestOutcome.Overloaded"/> should wait before retrying.</summary>
    public TimeSpan RetryAfter => options.Value.RetryAfter;
}
