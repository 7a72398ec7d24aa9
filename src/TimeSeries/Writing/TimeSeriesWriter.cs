using System.Runtime.InteropServices;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;

namespace Ioc.TimeSeries;

/// <summary>
/// A batch of buffered requests on its way to the store: for a time-series server the requests' line
/// protocol as it was buffered (<see cref="Records"/>), for the embedded store their points.
/// </summary>
public sealed class PointBatch(int capacity)
{
    private int _recordPoints;

    /// <summary>The points, in buffer order, when the batch is sent as points.</summary>
    public List<TelemetryPoint> Points { get; } = new(capacity);

    /// <summary>Line protocol records, one a buffered request, all in <see cref="Precision"/>, when the batch is sent as lines.</summary>
    public List<string> Records { get; } = [];

    /// <summary>How many points the batch holds.</summary>
    public int Count => Points.Count + _recordPoints;

    /// <summary>The buffer offset that may be confirmed once the store has taken this batch.</summary>
    public long ConfirmOffset { get; set; }

    /// <summary>The batch as line protocol, once a writer or the dead-letter store has needed it.</summary>
    public string? LineProtocol { get; private set; }

    /// <summary>The precision of <see cref="LineProtocol"/>'s and <see cref="Records"/>' timestamps.</summary>
    public WritePrecision Precision { get; private set; }

    /// <summary>Adds a request's line protocol; its precision must be the batch's, if the batch has records.</summary>
    public void Add(string lines, int points, WritePrecision precision)
    {
        if (Records.Count > 0 && precision != Precision)
            throw new InvalidOperationException("A batch's records share one precision.");
        Records.Add(lines);
        _recordPoints += points;
        Precision = precision;
    }

    /// <summary>The whole batch as line protocol: its records, or its points formatted once; retries reuse the text.</summary>
    public string ToLineProtocol(LineProtocolFormatter formatter)
    {
        if (LineProtocol is null)
        {
            if (Records.Count > 0)
                LineProtocol = string.Join('\n', Records);
            else
                (LineProtocol, Precision) = formatter.Format(Points);
        }
        return LineProtocol;
    }

    /// <summary>Empties the batch for reuse; <see cref="ConfirmOffset"/> stays where it was.</summary>
    public void Clear()
    {
        Points.Clear();
        Records.Clear();
        _recordPoints = 0;
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
/// Writes line protocol through InfluxDB.Client's <see cref="WriteApiAsync"/>, handing it the buffered
/// requests' records as they are (<see cref="WriteApiAsync.WriteRecordsAsync(List{string}, WritePrecision, string, string, CancellationToken)"/>)
/// rather than a <c>PointData</c> per point, which the client would format again (never the background
/// <c>WriteApi</c>, whose queue is unbounded and drops points on dispose), gzipped unless the server is on
/// this machine (<see cref="TimeSeriesOptions.GzipWrites"/>). Serves InfluxDB and VictoriaMetrics alike.
/// </summary>
public sealed class InfluxWriter : TimeSeriesWriter
{
    // The client's own timeout sits this far past the pipeline's attempt timeout, so that it is always the pipeline
    // that abandons an attempt (and counts it, and retries it), never the client first.
    private static readonly TimeSpan ClientTimeoutMargin = TimeSpan.FromSeconds(5);

    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _api;
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
    }

    /// <inheritdoc/>
    public override string Description => $"{_options.Server} at {_options.WriteEndpoint}";

    /// <inheritdoc/>
    public override bool TakesLines => true;

    /// <inheritdoc/>
    public override Task Write(PointBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Records.Count > 0)
            return _api.WriteRecordsAsync(batch.Records, batch.Precision, _options.Bucket, _options.Org, cancellationToken);
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
