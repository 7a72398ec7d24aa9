using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;

namespace Ioc.TimeSeries;

/// <summary>The kinds of time-series store points can go to.</summary>
public enum TimeSeriesServer
{
    /// <summary>The SQLite file in the data directory; the one-command default.</summary>
    Embedded,
    /// <summary>VictoriaMetrics: written through its InfluxDB write API, read through its Prometheus query API.</summary>
    VictoriaMetrics,
    /// <summary>InfluxDB 2.x (or 3.x with Flux): written and read through InfluxDB.Client.</summary>
    InfluxDB,
}

/// <summary>The time-series store and how the hub talks to it (section <c>TimeSeries</c>).</summary>
public sealed class TimeSeriesOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "TimeSeries";

    /// <summary>Which store; <see cref="TimeSeriesServer.Embedded"/> unless a server is configured.</summary>
    public TimeSeriesServer Server { get; set; } = TimeSeriesServer.Embedded;

    /// <summary>
    /// Base URL of a server that takes both writes and queries, such as <c>http://victoria-metrics:8428</c>.
    /// A server needs it, or both <see cref="WriteUrl"/> and <see cref="QueryUrl"/>.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// Base URL writes go to, when they go somewhere other than <see cref="Url"/>: a VictoriaMetrics cluster's
    /// <c>vminsert</c> with its tenant, <c>http://vminsert:8480/insert/0/influx</c>, or a <c>vmagent</c>. The
    /// InfluxDB write path (<c>api/v2/write</c>) is appended to it.
    /// </summary>
    public string? WriteUrl { get; set; }

    /// <summary>
    /// Base URL history queries go to, when they go somewhere other than <see cref="Url"/>: a VictoriaMetrics
    /// cluster's <c>vmselect</c> with its tenant, <c>http://vmselect:8481/select/0/prometheus</c>. The Prometheus
    /// query path (<c>api/v1/query_range</c>) is appended to it.
    /// </summary>
    public string? QueryUrl { get; set; }

    /// <summary>Where writes go: <see cref="WriteUrl"/>, else <see cref="Url"/>.</summary>
    public string? WriteEndpoint => string.IsNullOrEmpty(WriteUrl) ? Url : WriteUrl;

    /// <summary>Where history queries go: <see cref="QueryUrl"/>, else <see cref="Url"/>.</summary>
    public string? QueryEndpoint => string.IsNullOrEmpty(QueryUrl) ? Url : QueryUrl;

    /// <summary>API token (<c>Authorization: Token …</c>). Required for InfluxDB; optional for VictoriaMetrics.</summary>
    public string? Token { get; set; }

    /// <summary>InfluxDB organisation. VictoriaMetrics ignores it.</summary>
    [Required] public string Org { get; set; } = "hung-yen";

    /// <summary>InfluxDB bucket. VictoriaMetrics ignores it.</summary>
    [Required] public string Bucket { get; set; } = "ioc";

    /// <summary>
    /// Points in one write: 2,000 lines of a unit's ten metrics, or 20,000 lines of one point each (about 2.3 MB before
    /// gzip). At 5,000 the drainer, one write in flight, fell behind a hub acknowledging a million points a second
    /// (docs/design/ingest-path.md, "Writes of 20,000 points").
    /// </summary>
    [Range(100, 100_000)] public int BatchLines { get; set; } = 20_000;

    /// <summary>
    /// Shortest time between two writes that are not full (<see cref="BatchLines"/>). Under a stream of small
    /// requests, what became durable meanwhile goes out in one write rather than in a write per request; after a
    /// quiet spell the first points go at once. Zero writes whatever is durable as soon as the last write ends.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:10")] public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Whether writes are gzipped. Unset, they are unless the server is on this machine (a loopback
    /// address or <c>localhost</c>), where compressing costs CPU and saves nothing.
    /// </summary>
    public bool? Gzip { get; set; }

    /// <summary>Whether writes are gzipped, once <see cref="Gzip"/>'s default is applied.</summary>
    public bool GzipWrites => Gzip ?? !(Uri.TryCreate(WriteEndpoint, UriKind.Absolute, out var url) && url.IsLoopback);

    /// <summary>How long one write attempt may take before it is abandoned and retried.</summary>
    [TimeSpanRange("00:00:00.001", "01:00:00")] public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of one write inside the resilience pipeline, before the drainer backs off and tries again.</summary>
    [Range(1, 100)] public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First retry delay; later ones grow exponentially, with jitter.</summary>
    [TimeSpanRange("00:00:00", "01:00:00")] public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two attempts, including a server's <c>Retry-After</c>.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of failed attempts within <see cref="BreakSamplingDuration"/> that opens the circuit.</summary>
    [Range(0.01, 1.0)] public double BreakFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within <see cref="BreakSamplingDuration"/> before the failure ratio counts.</summary>
    [Range(2, 10_000)] public int BreakMinimumThroughput { get; set; } = 4;

    /// <summary>Window over which the failure ratio is measured; Polly's own lower bound is 0.5 s.</summary>
    [TimeSpanRange("00:00:00.500", "1.00:00:00")] public TimeSpan BreakSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one trial write; Polly's own lower bound is 0.5 s.</summary>
    [TimeSpanRange("00:00:00.500", "1.00:00:00")] public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one history query may take.</summary>
    [TimeSpanRange("00:00:00.001", "01:00:00")] public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries of a history query that failed with a server error or timed out. Few, since a person is waiting
    /// for the answer; the writes' retries (<see cref="MaxRetryAttempts"/>) have a buffer behind them instead.
    /// </summary>
    [Range(1, 10)] public int QueryRetryAttempts { get; set; } = 2;

    /// <summary>First delay before a history query is retried; later ones grow exponentially, with jitter.</summary>
    [TimeSpanRange("00:00:00", "00:00:30")] public TimeSpan QueryRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Server == TimeSeriesServer.Embedded && (!string.IsNullOrEmpty(Url) || !string.IsNullOrEmpty(WriteUrl) || !string.IsNullOrEmpty(QueryUrl)))
            yield return new("TimeSeries:Url, WriteUrl or QueryUrl is set but TimeSeries:Server is Embedded; set TimeSeries:Server to VictoriaMetrics or InfluxDB.");
        foreach (var (name, value) in new[] { ("Url", Url), ("WriteUrl", WriteUrl), ("QueryUrl", QueryUrl) })
        {
            if (!string.IsNullOrEmpty(value) && !IsHttpUrl(value))
                yield return new($"TimeSeries:{name} '{value}' is not an absolute http(s) URL.");
        }
        if (Server != TimeSeriesServer.Embedded && (string.IsNullOrEmpty(WriteEndpoint) || string.IsNullOrEmpty(QueryEndpoint)))
            yield return new($"TimeSeries:Server is {Server} but not where to write and query: set TimeSeries:Url, or both TimeSeries:WriteUrl and TimeSeries:QueryUrl.");
        if (Server == TimeSeriesServer.InfluxDB && string.IsNullOrEmpty(Token))
            yield return new("TimeSeries:Token is required for InfluxDB.");
        if (RetryMaxDelay < RetryBaseDelay)
            yield return new("TimeSeries:RetryBaseDelay must be at most TimeSeries:RetryMaxDelay.");
    }

    private static bool IsHttpUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";
}
