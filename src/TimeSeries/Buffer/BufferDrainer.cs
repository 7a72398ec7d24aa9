using System.Buffers;
using System.Runtime.InteropServices;
using InfluxDB.Client.Api.Domain;
using Ioc.Contracts;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Ioc.TimeSeries;

/// <summary>
/// Sends the write-ahead buffer to the store in batches of about <see cref="TimeSeriesOptions.BatchLines"/>
/// points, each write wrapped in the <see cref="WritePipeline"/>, and confirms to the buffer only what the
/// store has taken. A transient failure is tried again, with backoff, for as long as it takes; a batch the
/// store refuses is set aside in <see cref="DeadLetters"/>. On shutdown it keeps draining for up to
/// <see cref="BufferOptions.DrainTimeout"/>.
/// </summary>
public sealed class BufferDrainer : BackgroundService
{
    private readonly WriteAheadLog _buffer;
    private readonly TimeSeriesWriter _writer;
    private readonly LineProtocolFormatter _formatter;
    private readonly DeadLetters _deadLetters;
    private readonly DrainStatus _status;
    private readonly IngestMetrics _metrics;
    private readonly TimeSeriesOptions _options;
    private readonly BufferOptions _bufferOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly string[] _catalogIds;
    // The points of the record being sent, when it did not fit in one batch.
    private readonly List<TelemetryPoint> _carry = [];
    private int _carryIndex;
    private long _carryEnd;
    // A request's lines read but left for the next batch, whose timestamps are in another precision (a copy: what the
    // reader hands out is a view of its buffer).
    private (byte[] Utf8, int Points, WritePrecision Precision, bool Compact)? _held;
    private long _heldEnd;
    // When the last write began (a Stopwatch timestamp); 0 before the first.
    private long _lastWrite;

    /// <summary>Builds the drainer and its write pipeline.</summary>
    public BufferDrainer(
        WriteAheadLog buffer, TimeSeriesWriter writer, LineProtocolFormatter formatter, DeadLetters deadLetters, DrainStatus status,
        IngestMetrics metrics, Catalog catalog, IOptions<TimeSeriesOptions> options, IOptions<BufferOptions> bufferOptions,
        TimeProvider time, ILogger<BufferDrainer> logger)
    {
        (_buffer, _writer, _formatter, _deadLetters, _status, _metrics) = (buffer, writer, formatter, deadLetters, status, metrics);
        (_options, _bufferOptions, _time, _logger) = (options.Value, bufferOptions.Value, time, logger);
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeSeriesWrite(_options, status.Breaker).Build();
        _catalogIds = [.. catalog.Entities.Select(e => e.Id), .. catalog.Metrics.Select(m => m.Id)];
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var hardStop = new CancellationTokenSource();
        await using var onStop = stoppingToken.Register(() => hardStop.CancelAfter(_bufferOptions.DrainTimeout));
        using var reader = _buffer.OpenReader(_catalogIds);
        var batch = new PointBatch(_options.BatchLines) { ConfirmOffset = reader.Position };
        _logger.LogInformation("Draining the buffer to the {Store}", _writer.Description);
        try
        {
            while (true)
            {
                Fill(reader, batch);
                if (batch.Count > 0 && await Linger(stoppingToken))
                    Fill(reader, batch);
                if (batch.Count > 0)
                {
                    _lastWrite = TimeProvider.System.GetTimestamp();
                    await Send(batch, hardStop.Token);
                    _buffer.Confirm(batch.ConfirmOffset);
                    batch.Clear();
                    continue;
                }
                _buffer.Confirm(batch.ConfirmOffset);
                if (stoppingToken.IsCancellationRequested)
                {
                    _logger.LogInformation("Buffer drained to the {Store} before shutdown", _writer.Description);
                    return;
                }
                try
                {
                    await _buffer.WhenDurableBeyond(reader.Position, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    // Shutdown: one more round sends what is left, within the drain timeout.
                }
            }
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
            _logger.LogWarning("Shutdown drain timed out with {Points} points still in the buffer; they are sent after the restart",
                _buffer.UnconfirmedPoints);
        }
    }

    /// <summary>
    /// Waits out the rest of <see cref="TimeSeriesOptions.FlushInterval"/> since the last write began, unless the batch
    /// is already full or the hub is stopping; true when it waited, so that the batch takes what arrived meanwhile.
    /// </summary>
    /// <remarks>
    /// At 10 points a request, a write per request cost the hub more CPU than the requests' own parsing: the client
    /// library, the resilience pipeline and an HTTP exchange each time, and the server's work on top. Real time, not
    /// the hub's clock, which tests may hold still: this is about CPU, not about anything in the domain.
    /// </remarks>
    private async ValueTask<bool> Linger(CancellationToken stoppingToken)
    {
        if (_lastWrite == 0 || stoppingToken.IsCancellationRequested || _buffer.UnconfirmedPoints >= _options.BatchLines)
            return false;
        var wait = _options.FlushInterval - TimeProvider.System.GetElapsedTime(_lastWrite);
        if (wait <= TimeSpan.Zero)
            return false;
        try
        {
            await Task.Delay(wait, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: what is buffered goes now.
        }
        return true;
    }

    private void Fill(WriteAheadLog.Reader reader, PointBatch batch)
    {
        if (_writer.TakesLines)
            FillLines(reader, batch);
        else
            FillPoints(reader, batch);
    }

    /// <summary>
    /// Fills the batch with whole requests' line protocol as it was buffered, copied from the buffer's bytes and none
    /// formatted again (a request kept compact gets its lines' prefixes back as it is copied); a request buffered as
    /// points (by an older hub, or while the embedded store was configured) is formatted here, once. A batch holds one
    /// precision: a request in another starts the next batch.
    /// </summary>
    private void FillLines(WriteAheadLog.Reader reader, PointBatch batch)
    {
        while (batch.Count < _options.BatchLines)
        {
            if (_held is { } held)
            {
                if (!batch.Takes(held.Precision)) return;
                batch.AddLines(held.Utf8, held.Points, held.Precision, held.Compact ? _formatter : null);
                batch.ConfirmOffset = _heldEnd;
                _held = null;
                continue;
            }
            if (!reader.TryReadLines(_carry, out var lines, out var isLines)) return;
            if (!isLines)
            {
                if (_carry.Count > 0)
                {
                    var (utf8, length, precision) = _formatter.FormatUtf8(_carry);
                    Take(batch, utf8.AsSpan(0, length), _carry.Count, precision, false, reader.Position);
                    ArrayPool<byte>.Shared.Return(utf8);
                }
                else
                    batch.ConfirmOffset = reader.Position;
                _carry.Clear();
                continue;
            }
            if (lines.Points == 0)
                batch.ConfirmOffset = reader.Position;
            else
                Take(batch, lines.Utf8, lines.Points, lines.Precision, lines.Compact, reader.Position);
        }
    }

    // Adds a request's lines to the batch, or holds a copy of them for the next batch when their precision differs.
    private void Take(PointBatch batch, ReadOnlySpan<byte> utf8, int points, WritePrecision precision, bool compact, long end)
    {
        if (batch.Takes(precision))
        {
            batch.AddLines(utf8, points, precision, compact ? _formatter : null);
            batch.ConfirmOffset = end;
        }
        else
            (_held, _heldEnd) = ((utf8.ToArray(), points, precision, compact), end);
    }

    /// <summary>Fills the batch with points from the buffer; a record larger than the room left is split across batches.</summary>
    private void FillPoints(WriteAheadLog.Reader reader, PointBatch batch)
    {
        var max = _options.BatchLines;
        while (batch.Points.Count < max)
        {
            if (_carryIndex < _carry.Count)
            {
                var take = Math.Min(max - batch.Points.Count, _carry.Count - _carryIndex);
                batch.Points.AddRange(CollectionsMarshal.AsSpan(_carry).Slice(_carryIndex, take));
                _carryIndex += take;
                if (_carryIndex < _carry.Count) return;
                // Only a whole record may be confirmed.
                batch.ConfirmOffset = _carryEnd;
                _carry.Clear();
                _carryIndex = 0;
                continue;
            }
            if (!reader.TryRead(_carry)) return;
            _carryEnd = reader.Position;
            if (_carry.Count == 0) batch.ConfirmOffset = _carryEnd;
        }
    }

    // The drainer's own wait between failed sends never starts below this, even with TimeSeries:RetryBaseDelay 0
    // (no wait inside the pipeline): a store that is down is not asked again in a tight loop.
    private static readonly TimeSpan MinimumBackoff = TimeSpan.FromMilliseconds(100);

    private async Task Send(PointBatch batch, CancellationToken cancellationToken)
    {
        var backoff = _options.RetryBaseDelay > MinimumBackoff ? _options.RetryBaseDelay : MinimumBackoff;
        while (true)
        {
            try
            {
                await _pipeline.ExecuteAsync(static async (state, token) =>
                {
                    try
                    {
                        await state.Writer.Write(state.Batch, token);
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException && state.Stop.IsCancellationRequested))
                    {
                        // Every failed attempt counts, timeouts included; only the end of the drain at shutdown does not.
                        state.Metrics.Failed(WritePipeline.IsRejection(ex));
                        throw;
                    }
                }, (Writer: _writer, Batch: batch, Metrics: _metrics, Stop: cancellationToken), cancellationToken);
                _status.Succeeded(_time.GetUtcNow());
                _metrics.Written(batch.Count);
                return;
            }
            catch (Exception ex) when (WritePipeline.IsRejection(ex))
            {
                var path = _deadLetters.Put(batch, _formatter, ex, _time.GetUtcNow());
                _metrics.DeadLettered();
                _logger.LogError(ex, "The {Store} refused a batch of {Points} points; it is set aside in {Path}", _writer.Description, batch.Count, path);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                _status.Failed(ex, _time.GetUtcNow());
                var wait = ex is BrokenCircuitException { RetryAfter: { } after } && after > TimeSpan.Zero ? after : backoff;
                _logger.LogWarning("Writing {Points} points to the {Store} failed ({Error}); {Buffered} points are kept in the buffer, next try in {Delay}",
                    batch.Count, _writer.Description, ex.Message, _buffer.UnconfirmedPoints, wait);
                await Task.Delay(wait, _time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Max(_options.RetryMaxDelay.Ticks, backoff.Ticks)));
            }
        }
    }
}
