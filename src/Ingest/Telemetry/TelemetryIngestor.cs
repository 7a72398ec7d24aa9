using System.Buffers;
using Ioc.Ingest.LineProtocol;
using Ioc.TimeSeries;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>What became of a request handed to the ingest path.</summary>
public enum IngestOutcome
{
    /// <summary>Taken, and as safe as the configured durability promises.</summary>
    Accepted,
    /// <summary>Not taken: the hub cannot keep more right now. Answer 503 with <c>Retry-After</c>.</summary>
    Overloaded,
}

/// <summary>What became of a request handed to the ingest path, and, when it was refused, why.</summary>
/// <param name="Outcome">Accepted or overloaded.</param>
/// <param name="Resource">The resource that was short, when overloaded.</param>
/// <param name="Reason">Why, in words for the 503 answer, when overloaded.</param>
public readonly record struct IngestResult(IngestOutcome Outcome, IngestResource? Resource = null, string? Reason = null);

/// <summary>
/// Where accepted points go, whatever protocol brought them: first onto disk in the write-ahead
/// buffer, from which the drainer sends them to the time-series store, then along the live path to
/// the grains. Every ingest endpoint and the simulator call this once the whole request has been validated.
/// When the store is a time-series server, the request is formatted as its line protocol here, once, and
/// buffered as such: the drainer sends it on without formatting any point again.
/// </summary>
public sealed class TelemetryIngestor(
    WriteAheadLog buffer, LivePath livePath, TimeSeriesWriter writer, LineProtocolFormatter formatter, IngestMetrics metrics,
    IngestCapacity capacity, IOptions<BufferOptions> options, ILogger<TelemetryIngestor> logger)
{
    /// <summary>
    /// Takes a fully validated request, whole or not at all. <see cref="IngestOutcome.Accepted"/> means the
    /// points are on local disk; <see cref="IngestOutcome.Overloaded"/> means nothing was kept, and says which
    /// resource was short.
    /// </summary>
    public ValueTask<IngestResult> Accept(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken) =>
        Accept(points, default, null, cancellationToken);

    /// <summary>
    /// Takes a fully validated request, as <see cref="Accept(IReadOnlyList{TelemetryPoint}, CancellationToken)"/>; a
    /// line-protocol request whose lines <paramref name="received"/> noted in <paramref name="body"/> is buffered from
    /// its own bytes, with the catalog's tags spliced in, rather than formatted point by point.
    /// </summary>
    public async ValueTask<IngestResult> Accept(IReadOnlyList<TelemetryPoint> points, ReadOnlyMemory<byte> body, ReceivedLines? received,
        CancellationToken cancellationToken)
    {
        if (points.Count == 0)
            return new(IngestOutcome.Accepted);
        // Below the reserve, refuse; after a refused write, try again: that is how the hub finds that space has
        // returned, with nobody to tell it.
        if (capacity.ReserveShortage() is { } shortage)
            return Refuse(IngestResource.Disk, shortage);
        bool kept;
        try
        {
            kept = await (writer.TakesLines ? AppendLines(points, body.Span, received, cancellationToken) : buffer.Append(points, cancellationToken));
            capacity.DiskSucceeded();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A disk that cannot take the points (or a buffer already closed for shutdown): nothing was kept, so say so.
            // Not logged per request: the buffer logs a failing disk once per episode, each refused request says why,
            // and readiness and the metrics show the disk.
            if (ex is IOException) capacity.DiskFailed(ex);
            else logger.LogDebug("The write-ahead buffer is closing; a request of {Points} points is refused", points.Count);
            return Refuse(IngestResource.Disk, capacity.DiskShortage() ?? "the write-ahead buffer is closing");
        }
        if (!kept)
            return Refuse(IngestResource.Buffer, capacity.BufferShortage());
        await livePath.Enqueue(points, cancellationToken);
        return new(IngestOutcome.Accepted);
    }

    private IngestResult Refuse(IngestResource resource, string reason)
    {
        metrics.Overloaded(resource.ToString().ToLowerInvariant());
        return new(IngestOutcome.Overloaded, resource, reason);
    }

    private ValueTask<bool> AppendLines(IReadOnlyList<TelemetryPoint> points, ReadOnlySpan<byte> body, ReceivedLines? received,
        CancellationToken cancellationToken)
    {
        // Byte for byte what the formatter writes (the pass-through property tests hold it to that), at the cost of copies;
        // compact: each line starts with its unit's id, and the drainer puts the measurement and catalog tags back.
        var (lines, length, precision) = received is { PassThrough: true }
            && formatter.TrySpliceUtf8(points, body, received.Lines, received.Precision, out var spliced, compact: true)
            ? spliced
            : formatter.FormatUtf8(points, compact: true);
        try
        {
            return buffer.AppendLines(lines.AsSpan(0, length), points.Count, precision, cancellationToken, compact: true);
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
