using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Ioc.Ingest.LineProtocol;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>The answer to a write, whatever protocol brought it; each endpoint renders it in its own shape.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Code">InfluxDB's error code (<c>invalid</c>, <c>unauthorized</c>, …); null on success.</param>
/// <param name="Message">What was wrong, and where.</param>
/// <param name="RetryAfter">For 429 and 503: when to try again.</param>
/// <param name="Points">Points accepted.</param>
/// <param name="Detail">Why the points were refused, and where (the JSON endpoint answers with its point index and field).</param>
public sealed record WriteOutcome(int Status, string? Code, string? Message, TimeSpan? RetryAfter = null, int Points = 0, IngestError? Detail = null)
{
    /// <summary>A refusal.</summary>
    public static WriteOutcome Error(int status, string code, string message, TimeSpan? retryAfter = null) =>
        new(status, code, message, retryAfter, 0);

    /// <summary>The refusal of points that broke a rule: 400, 403 or 413, saying where.</summary>
    public static WriteOutcome Refused(IngestError error) => new(error.Status, error.Code, error.ToString(), null, 0, error);

    /// <summary>Whether a repeat of the same request must get the same answer: true unless it said "try again".</summary>
    public bool IsFinal => Status is not (StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status401Unauthorized);

    /// <summary>The <c>Retry-After</c> header value, in whole seconds, at least 1.</summary>
    public string? RetryAfterHeader => RetryAfter is { } r ? Math.Max(1, (int)Math.Ceiling(r.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null;
}

/// <summary>
/// Parses a whole, decompressed request body into points, holding them to <paramref name="rules"/>; returns a
/// refusal or null.
/// </summary>
public delegate WriteOutcome? BodyParser(ReadOnlySpan<byte> body, in IngestRules rules, List<TelemetryPoint> points);

/// <summary>
/// What every write endpoint does around its parser, in this order: authenticate the token (401, or 503
/// when the token table cannot be trusted), refuse a token that has used up its rate (429), read the body
/// within the size limit, gunzipping if asked (413), answer a repeated <c>Idempotency-Key</c> as before,
/// parse and check scope (400, 403, 413), charge the rate limit (429), and hand the whole request to
/// <see cref="TelemetryIngestor"/> (503 when it is overloaded). Nothing is stored unless every step passes.
/// </summary>
public sealed class WriteGate(
    UnitTokenAuthenticator tokens, RateLimits rateLimits, NewSeriesLimit newSeries, IdempotencyCache idempotency, TelemetryIngestor ingestor,
    IOptions<IngestOptions> options, TimeProvider time, ClientFaultLog faults, ILogger<WriteGate> logger)
{
    /// <summary>The optional header that makes a repeated request return the same answer.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>
    /// Longest <see cref="IdempotencyHeader"/> accepted. A key is a client's request id (a UUID is 36 characters);
    /// every remembered key is held in memory for the idempotency window, so its length is bounded.
    /// </summary>
    public const int MaxIdempotencyKeyLength = 200;

    // How often a request whose key an earlier attempt holds waits for that attempt and tries again, when the earlier
    // one ends in "try again" and is forgotten. Each round means a concurrent duplicate finished, so a few suffice;
    // past them the client is told the key is busy rather than kept waiting.
    private const int IdempotencyAttempts = 3;

    // What a request interrupted before it was answered (the client went away) is remembered as, for a duplicate
    // waiting on it: try again at once, as no part of it was stored.
    private static readonly TimeSpan InterruptedRetryAfter = TimeSpan.FromSeconds(1);

    // The first buffer for a body of unknown length (chunked or gzipped): large enough for a typical agent's batch
    // in one read, small enough that a pooled buffer is at hand; it doubles up to the body limit as needed.
    private const int UnknownLengthFirstBuffer = 64 * 1024;

    /// <summary>
    /// Runs a write through every check and, if all pass, into the ingest path. A line-protocol parser that notes
    /// its lines in <paramref name="received"/> lets the ingest path write the request on from its own bytes.
    /// </summary>
    public async Task<WriteOutcome> Write(HttpContext http, string endpoint, int successStatus, BodyParser parse, CancellationToken cancellationToken,
        ReceivedLines? received = null)
    {
        var (check, grant) = await tokens.Authenticate(http.Request.Headers.Authorization, cancellationToken);
        if (check == TokenCheck.Unavailable)
            return WriteOutcome.Error(StatusCodes.Status503ServiceUnavailable, "unavailable",
                "The hub cannot check tokens right now; retry after the Retry-After delay.", options.Value.TokenRefreshPeriod);
        if (grant is null)
            return WriteOutcome.Error(StatusCodes.Status401Unauthorized, "unauthorized",
                "unauthorized access: a valid 'Authorization: Token <token>' header is required");

        if (rateLimits.IsExhausted(grant.Id, out var wait))
            return TooManyRequests(grant, wait);

        string? key = http.Request.Headers[IdempotencyHeader];
        if (key is { Length: > MaxIdempotencyKeyLength })
            return WriteOutcome.Error(StatusCodes.Status400BadRequest, "invalid", $"The Idempotency-Key header is longer than {MaxIdempotencyKeyLength} characters.");

        var (body, length, refusal) = await ReadBody(http.Request, cancellationToken);
        if (refusal is not null) return refusal;
        try
        {
            if (string.IsNullOrEmpty(key))
                return await Apply(body.AsMemory(0, length), grant, successStatus, parse, received, cancellationToken);

            var hash = SHA256.HashData(body.AsSpan(0, length));
            for (var attempt = 0; ; attempt++)
            {
                switch (idempotency.Begin($"{endpoint} {grant.Id}", key, hash))
                {
                    case IdempotencyCache.Mismatch:
                        return WriteOutcome.Error(StatusCodes.Status409Conflict, "conflict",
                            $"The Idempotency-Key '{key}' was used before with a different body; use a new key for a new request.");
                    case IdempotencyCache.Replay replay:
                        if (await replay.Outcome.WaitAsync(cancellationToken) is { } earlier)
                        {
                            http.Response.Headers["Idempotent-Replayed"] = "true";
                            return earlier;
                        }
                        // The earlier attempt ended in "try again" and was forgotten: this one is a new attempt.
                        if (attempt < IdempotencyAttempts) continue;
                        return WriteOutcome.Error(StatusCodes.Status409Conflict, "conflict", $"The Idempotency-Key '{key}' is in use by a request that has not finished.");
                    case IdempotencyCache.Fresh fresh:
                        var outcome = WriteOutcome.Error(StatusCodes.Status503ServiceUnavailable, "unavailable", "The request was interrupted.", InterruptedRetryAfter);
                        try
                        {
                            outcome = await Apply(body.AsMemory(0, length), grant, successStatus, parse, received, cancellationToken);
                            return outcome;
                        }
                        finally
                        {
                            idempotency.Complete(fresh, outcome, outcome.IsFinal);
                        }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private async Task<WriteOutcome> Apply(ReadOnlyMemory<byte> body, TokenGrant grant, int successStatus, BodyParser parse, ReceivedLines? received,
        CancellationToken cancellationToken)
    {
        // Sized by the parser, which knows how its protocol's points show in the body.
        var points = new List<TelemetryPoint>();
        var refusal = parse(body.Span, new IngestRules(time.GetUtcNow(), grant, options.Value), points);
        if (refusal is not null)
            return refusal;
        if (newSeries.TryAdmit(points) is { } over)
            return WriteOutcome.Error(StatusCodes.Status429TooManyRequests, "too many requests",
                $"unit '{over.Unit}' has started {over.Started} new series (sets of its own tags) in the past hour; at most {over.Limit} are accepted "
                + "(Ingest:Tags:MaxNewSeriesPerUnitPerHour). A tag whose value changes with every point makes a series per value: send such a value as a field, or leave it out.",
                over.RetryAfter);
        if (!rateLimits.TryTake(grant.Id, points.Count, out var wait))
            return TooManyRequests(grant, wait);
        if (await ingestor.Accept(points, body, received, cancellationToken) is { Outcome: IngestOutcome.Overloaded } refused)
            return WriteOutcome.Error(StatusCodes.Status503ServiceUnavailable, "unavailable",
                $"The hub cannot keep more points right now: {refused.Reason}. Retry after the Retry-After delay.", ingestor.RetryAfter);
        return new WriteOutcome(successStatus, null, null, Points: points.Count);
    }

    private static WriteOutcome TooManyRequests(TokenGrant grant, TimeSpan wait) =>
        WriteOutcome.Error(StatusCodes.Status429TooManyRequests, "too many requests",
            $"The token '{grant.Name}' is over its rate limit; retry after the Retry-After delay.", wait);

    /// <summary>
    /// Reads the whole body into a pooled buffer, gunzipping when <c>Content-Encoding: gzip</c>, holding
    /// both the body as sent and as decompressed to <see cref="IngestOptions.MaxBodyBytes"/>.
    /// </summary>
    private async Task<(byte[] Buffer, int Length, WriteOutcome? Refusal)> ReadBody(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxBodyBytes;
        var tooLarge = WriteOutcome.Error(StatusCodes.Status413PayloadTooLarge, "request too large",
            $"The request body is larger than the limit of {limit} bytes (decompressed).");
        if (request.ContentLength > limit)
            return ([], 0, tooLarge);

        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return ([], 0, WriteOutcome.Error(StatusCodes.Status415UnsupportedMediaType, "invalid",
                $"Content-Encoding '{encoding}' is not supported; send gzip or identity."));

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, gzip ? UnknownLengthFirstBuffer : request.ContentLength + 1 ?? UnknownLengthFirstBuffer));
        var length = 0;
        var source = gzip ? new TrailerStream(request.Body) : request.Body;
        var unzip = gzip ? new GZipStream(source, CompressionMode.Decompress, leaveOpen: true) : null;
        try
        {
            var stream = unzip ?? source;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, 2L * buffer.Length));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0) break;
                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return ([], 0, tooLarge);
                }
            }
            // GZipStream takes a stream cut short for a shorter body; the trailer's length gives it away.
            if (source is TrailerStream trailer && !trailer.EndsWithLength(length))
                throw new InvalidDataException("The gzip trailer does not match the decompressed length.");
            return (buffer, length, null);
        }
        catch (InvalidDataException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            logger.LogDebug(ex, "Corrupt gzip body");
            return ([], 0, WriteOutcome.Error(StatusCodes.Status400BadRequest, "invalid", "The body is not valid gzip, or it was cut short."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return ([], 0, tooLarge);
        }
        catch (BadHttpRequestException ex)
        {
            // A body that arrives too slowly (408) or is malformed on the wire: the client's fault, a warning at most.
            ArrayPool<byte>.Shared.Return(buffer);
            var fault = ClientFaults.Classify(ex)!.Value;
            faults.Fault(request.HttpContext, fault.Status, fault.Detail);
            return ([], 0, WriteOutcome.Error(fault.Status, "invalid", fault.Detail));
        }
        finally
        {
            if (unzip is not null) await unzip.DisposeAsync();
        }
    }

    /// <summary>Passes a stream through, keeping its last eight bytes: a gzip member's CRC-32 and length.</summary>
    private sealed class TrailerStream(Stream inner) : Stream
    {
        private readonly byte[] _tail = new byte[8];
        private int _kept;

        public bool EndsWithLength(int length) =>
            _kept == 8 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4)) == unchecked((uint)length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            Keep(buffer.Span[..n]);
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            Keep(buffer.AsSpan(offset, n));
            return n;
        }

        private void Keep(ReadOnlySpan<byte> read)
        {
            if (read.Length >= 8)
            {
                read[^8..].CopyTo(_tail);
                _kept = 8;
                return;
            }
            var keep = Math.Min(_kept, 8 - read.Length);
            _tail.AsSpan(_kept - keep, keep).CopyTo(_tail);
            read.CopyTo(_tail.AsSpan(keep));
            _kept = keep + read.Length;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
