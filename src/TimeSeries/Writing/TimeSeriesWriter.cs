using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Api.Service;

namespace Ioc.TimeSeries;

/// <summary>
/// A batch of buffered requests on its way to the store: for a time-series server the requests' line
/// protocol as it was buffered, joined into one UTF-8 body (<see cref="Lines"/>), for the embedded store their points.
/// </summary>
public sealed class PointBatch(int capacity)
{
    private int _linePoints;
    // The requests' lines, one after another with a line feed between; kept across batches, so that a batch of
    // lines costs no allocation of the hub's own (the body a write needs is one of the kept ones below, Body). A batch is
    // about TimeSeries:BatchLines points, but one request may be larger: past this size an array is let go after the batch.
    private const int KeptBytes = 4 << 20;
    private byte[] _lines = [];
    private int _linesLength;
    private byte[]? _body;
    // Bodies kept for the next batches, each a whole number of BodyStep bytes: the batch's lines, then line feeds, which
    // line protocol reads as empty lines and skips (InfluxDB and VictoriaMetrics alike). Batches of one traffic are about
    // the same size, so they are sent from a few arrays instead of a new one of their exact length each time: those are
    // on the large object heap (a batch of spread lines is about half a megabyte), and making one per batch set off a
    // full collection every half second (docs/design/ingest-path.md).
    private const int BodyStep = 8 << 10;
    private readonly byte[]?[] _bodies = new byte[]?[4];
    private int _nextBody;

    /// <summary>The points, in buffer order, when the batch is sent as points.</summary>
    public List<TelemetryPoint> Points { get; } = new(capacity);

    /// <summary>Line protocol, UTF-8, all in <see cref="Precision"/>, when the batch is sent as lines.</summary>
    public ReadOnlySpan<byte> Lines => _lines.AsSpan(0, _linesLength);

    /// <summary>Whether the batch holds lines rather than points.</summary>
    public bool HasLines => _linesLength > 0;

    /// <summary>How many points the batch holds.</summary>
    public int Count => Points.Count + _linePoints;

    /// <summary>The buffer offset that may be confirmed once the store has taken this batch.</summary>
    public long ConfirmOffset { get; set; }

    /// <summary>The batch as line protocol text, once a writer or the dead-letter store has needed it.</summary>
    public string? LineProtocol { get; private set; }

    /// <summary>The precision of <see cref="Lines"/>' and <see cref="LineProtocol"/>'s timestamps.</summary>
    public WritePrecision Precision { get; private set; }

    /// <summary>Whether a request's lines in <paramref name="precision"/> may join this batch: a batch holds one precision.</summary>
    public bool Takes(WritePrecision precision) => !HasLines || precision == Precision;

    /// <summary>
    /// Adds a request's line protocol; its precision must be the batch's, if the batch has lines. With
    /// <paramref name="expand"/>, the lines are compact (each starts with its unit's id) and get their prefixes back.
    /// </summary>
    public void AddLines(ReadOnlySpan<byte> lines, int points, WritePrecision precision, LineProtocolFormatter? expand = null)
    {
        if (!Takes(precision))
            throw new InvalidOperationException("A batch's lines share one precision.");
        var needed = _linesLength + (_linesLength > 0 ? 1 : 0) + lines.Length;
        if (needed > _lines.Length)
            Array.Resize(ref _lines, Math.Max(needed, Math.Max(4096, _lines.Length * 2)));
        if (_linesLength > 0)
            _lines[_linesLength++] = (byte)'\n';
        if (expand is not null)
            expand.Expand(lines, ref _lines, ref _linesLength);
        else
        {
            lines.CopyTo(_lines.AsSpan(_linesLength));
            _linesLength += lines.Length;
        }
        _linePoints += points;
        Precision = precision;
    }

    /// <summary>
    /// The lines as a request body: all of them, then line feeds up to a whole number of kept steps (less than 8 KiB); retries
    /// reuse it. The array is the batch's until <see cref="Clear"/>, then a later batch of the same step count may reuse it.
    /// </summary>
    public byte[] Body()
    {
        if (_body is not null) return _body;
        var size = Math.Max(1, (_linesLength + BodyStep - 1) / BodyStep) * BodyStep;
        var body = Array.Find(_bodies, kept => kept?.Length == size);
        if (body is null)
        {
            body = GC.AllocateUninitializedArray<byte>(size);
            if (size <= KeptBytes)
            {
                _bodies[_nextBody] = body;
                _nextBody = (_nextBody + 1) % _bodies.Length;
            }
        }
        Lines.CopyTo(body);
        body.AsSpan(_linesLength).Fill((byte)'\n');
        return _body = body;
    }

    /// <summary>The whole batch as line protocol: its lines, or its points formatted once; retries reuse the text.</summary>
    public string ToLineProtocol(LineProtocolFormatter formatter)
    {
        if (LineProtocol is null)
        {
            if (HasLines)
                LineProtocol = Encoding.UTF8.GetString(Lines);
            else
                (LineProtocol, Precision) = formatter.Format(Points);
        }
        return LineProtocol;
    }

    /// <summary>Empties the batch for reuse; <see cref="ConfirmOffset"/> stays where it was.</summary>
    public void Clear()
    {
        Points.Clear();
        if (_lines.Length > KeptBytes)
            _lines = [];
        _linesLength = 0;
        _linePoints = 0;
        _body = null;
        LineProtocol = null;
    }
}

/// <summary>Where the drainer sends buffered points: a time-series server, or the embedded store.</summary>
public abstract class TimeSeriesWriter : IDisposable
{
    /// <summary>What the writer writes to, for logs and the readiness detail.</summary>
    public abstract string Description { get; }

    /// <summary>Whether the writer sends line protocol, so that requests are best buffered as such.</summary>
    public virtual bool TakesLines => false;

    /// <summary>Writes a batch; returns once the store has confirmed it. Writing the same points again is harmless.</summary>
    public abstract Task Write(PointBatch batch, CancellationToken cancellationToken);

    /// <summary>Releases connections.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// Writes line protocol through InfluxDB.Client, handing it the buffered requests' lines as the UTF-8 body they
/// already are, through the client's own configured <see cref="WriteService"/> (the one its <see cref="WriteApiAsync"/>
/// calls), rather than a <c>PointData</c> per point, which the client would format again, or records as strings
/// (never the background <c>WriteApi</c>, whose queue is unbounded and drops points on dispose); gzipped unless the
/// server is on this machine (<see cref="TimeSeriesOptions.GzipWrites"/>). Serves InfluxDB and VictoriaMetrics alike.
/// </summary>
/// <remarks>
/// <see cref="WriteApiAsync.WriteRecordsAsync(List{string}, WritePrecision, string, string, CancellationToken)"/> joins
/// its records in a <see cref="StringBuilder"/>, makes a string of it and encodes that as UTF-8: with the hub's own
/// string per request, seven bytes allocated per byte sent, most of them on the large object heap, where they set
/// off full collections (docs/design/ingest-path.md). The write service takes the body as bytes. It is reached
/// through the write API's field, as the client builds it with the client's authentication, gzip and timeout; should
/// a version of the client not have that field, the writer falls back to a record of text (<see cref="WritesBytes"/>
/// is then false, which a test checks).
/// </remarks>
public sealed class InfluxWriter : TimeSeriesWriter
{
    // The client's own timeout sits this far past the pipeline's attempt timeout, so that it is always the pipeline
    // that abandons an attempt (and counts it, and retries it), never the client first.
    private static readonly TimeSpan ClientTimeoutMargin = TimeSpan.FromSeconds(5);

    // What WriteApiAsync itself sends with a body of line protocol.
    private const string ContentEncoding = "identity";
    private const string ContentType = "text/plain; charset=utf-8";
    private const string Accept = "application/json";

    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _api;
    private readonly WriteService? _service;
    private readonly LineProtocolFormatter _formatter;
    private readonly TimeSeriesOptions _options;

    /// <summary>Connects to the server named in <paramref name="options"/>.</summary>
    public InfluxWriter(TimeSeriesOptions options, LineProtocolFormatter formatter)
    {
        _options = options;
        _formatter = formatter;
        _client = new InfluxDBClient(new InfluxDBClientOptions(options.WriteEndpoint)
        {
            // The client insists on a token; a VictoriaMetrics without authentication ignores it.
            Token = string.IsNullOrEmpty(options.Token) ? "none" : options.Token,
            Org = options.Org,
            Bucket = options.Bucket,
            // The resilience pipeline times attempts out; this only stops the client from cutting them shorter.
            Timeout = options.AttemptTimeout + ClientTimeoutMargin,
        });
        if (options.GzipWrites)
            _client.EnableGzip();
        _api = _client.GetWriteApiAsync();
        _service = typeof(WriteApiAsync).GetField("_service", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(_api) as WriteService;
    }

    /// <summary>Whether batches of lines go to the server as the bytes they are (see the remarks), not as records.</summary>
    public bool WritesBytes => _service is not null;

    /// <inheritdoc/>
    public override string Description => $"{_options.Server} at {_options.WriteEndpoint}";

    /// <inheritdoc/>
    public override bool TakesLines => true;

    /// <inheritdoc/>
    public override Task Write(PointBatch batch, CancellationToken cancellationToken)
    {
        if (batch.HasLines && _service is not null)
            return _service.PostWriteAsync(_options.Org, _options.Bucket, batch.Body(), null, ContentEncoding, ContentType, null, Accept, null, batch.Precision, cancellationToken);
        var text = batch.ToLineProtocol(_formatter);
        return _api.WriteRecordAsync(text, batch.Precision, _options.Bucket, _options.Org, cancellationToken);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// Writes to the embedded SQLite store, one transaction a batch, with the batch's share of the per-minute and
/// per-hour aggregates. A point's identity is its series (metric, unit, extra tags) and timestamp, so writing
/// it again replaces it, and counts once.
/// </summary>
public sealed class EmbeddedWriter(EmbeddedStore store) : TimeSeriesWriter
{
    private readonly Dictionary<(string Metric, string Unit, string Tags), long> _series = [];
    private readonly List<((string, string, string) Key, long Id)> _created = [];

    /// <inheritdoc/>
    public override string Description => $"embedded store at {store.FilePath}";

    /// <inheritdoc/>
    /// <remarks>
    /// SQLite's calls block for the whole transaction, so a write runs on a thread of its own rather than holding one of
    /// the thread pool's (two on a 2-core machine) while the hub's other work waits for the pool to add threads. At most
    /// one write is in flight (the drainer awaits each), and under load there are about 20 a second
    /// (<see cref="TimeSeriesOptions.FlushInterval"/>).
    /// </remarks>
    public override Task Write(PointBatch batch, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => WriteNow(batch, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void WriteNow(PointBatch batch, CancellationToken cancellationToken)
    {
        _created.Clear();
        using var connection = store.Open();
        using var transaction = connection.BeginTransaction();
        using var samples = new SampleRollups.Writer(connection, transaction);
        foreach (ref readonly var p in CollectionsMarshal.AsSpan(batch.Points))
        {
            cancellationToken.ThrowIfCancellationRequested();
            samples.Add(SeriesId(connection, transaction, p.Metric, p.Unit, p.ExtraTags ?? ""), EmbeddedStore.ToUnixNanoseconds(p.Timestamp), p.Value);
        }
        samples.Flush();
        transaction.Commit();
        // Only ids that are committed may be remembered: a rolled-back id could be handed to another series.
        foreach (var (key, id) in _created) _series[key] = id;
    }

    private long SeriesId(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, string metric, string unit, string tags)
    {
        var key = (metric, unit, tags);
        if (_series.TryGetValue(key, out var id)) return id;
        foreach (var (k, i) in _created)
            if (k == key) return i;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO series (metric, unit, tags) VALUES ($metric, $unit, $tags) ON CONFLICT DO NOTHING;
            SELECT id FROM series WHERE metric = $metric AND unit = $unit AND tags = $tags;
            """;
        command.Parameters.AddWithValue("$metric", metric);
        command.Parameters.AddWithValue("$unit", unit);
        command.Parameters.AddWithValue("$tags", tags);
        id = (long)command.ExecuteScalar()!;
        _created.Add((key, id));
        return id;
    }
}
