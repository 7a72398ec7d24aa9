using System.Globalization;
using System.Text;
using System.Text.Json;
using InfluxDB.Client;
using Microsoft.Data.Sqlite;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Ioc.TimeSeries;

/// <summary>Where history is read from: the same store the buffer drains to.</summary>
public abstract class HistorySource
{
    /// <summary>The steps of <paramref name="query"/> that hold any value, in time order.</summary>
    public abstract Task<IReadOnlyList<HistoryPoint>> Query(HistoryQuery query, CancellationToken cancellationToken);
}

/// <summary>
/// History from the embedded SQLite store. Each step is answered from the coarsest table that serves it exactly:
/// per-hour aggregates when the step is a whole number of hours and the range starts on the hour, per-minute
/// ones likewise for minutes, raw points otherwise. The end of the range that is not a whole bucket is read from
/// the next finer table. The aggregates are written with the points, so they cover the recent past too and a
/// range that reaches back past the raw points' retention is answered from them alike.
/// </summary>
public sealed class EmbeddedHistory(EmbeddedStore store) : HistorySource
{
    private const string Series = "series IN (SELECT id FROM series WHERE metric = $metric AND unit IN (SELECT value FROM json_each($units)))";

    /// <inheritdoc/>
    public override Task<IReadOnlyList<HistoryPoint>> Query(HistoryQuery query, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<HistoryPoint>>(() =>
        {
            var from = EmbeddedStore.ToUnixNanoseconds(query.From);
            var to = EmbeddedStore.ToUnixNanoseconds(query.To);
            var step = query.Step.Ticks * 100;
            var steps = new SortedDictionary<long, Partial>();
            using var connection = store.Open();
            // One read transaction: every table is seen as of the same write.
            using var transaction = connection.BeginTransaction(deferred: true);
            var start = from;
            foreach (var (table, bucket) in Resolutions(query))
            {
                var end = SampleRollups.BucketOf(to, bucket);
                if (end <= start) continue;
                Read(connection, transaction, query, table, "bucket", "total", "n", "lo", "hi", "last_ts", "last_value", start, end, steps);
                start = end;
            }
            if (start < to)
                Read(connection, transaction, query, SampleRollups.RawTable, "ts", "value", "1", "value", "value", "ts", "value", start, to, steps);
            return steps.Select(s => new HistoryPoint(query.From + query.Step * s.Key, s.Value.Value(query.Aggregate))).ToList();
        }, cancellationToken);

    /// <summary>
    /// The aggregate tables, coarsest first, whose buckets tile every step of <paramref name="query"/>; raw
    /// points serve whatever none of them does.
    /// </summary>
    public static IEnumerable<(string Table, long BucketNs)> Resolutions(HistoryQuery query)
    {
        var from = EmbeddedStore.ToUnixNanoseconds(query.From);
        var step = query.Step.Ticks * 100;
        return SampleRollups.Resolutions.Where(r => step % r.BucketNs == 0 && SampleRollups.BucketOf(from, r.BucketNs) == from);
    }

    private static void Read(
        SqliteConnection connection, SqliteTransaction transaction, HistoryQuery query,
        string table, string time, string total, string count, string min, string max, string lastTs, string last,
        long start, long end, SortedDictionary<long, Partial> steps)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var rows = $"FROM {table} WHERE {Series} AND {time} >= $start AND {time} < $end";
        command.CommandText = query.Aggregate == HistoryAggregate.Last
            ? $"""
               SELECT b, t, v FROM (
                   SELECT ({time} - $from) / $step AS b, {lastTs} AS t, {last} AS v,
                          row_number() OVER (PARTITION BY ({time} - $from) / $step ORDER BY {lastTs} DESC, {last} DESC) AS r
                   {rows})
               WHERE r = 1
               """
            : $"SELECT ({time} - $from) / $step AS b, total({total}), sum({count}), min({min}), max({max}) {rows} GROUP BY b";
        command.Parameters.AddWithValue("$metric", query.Metric);
        command.Parameters.AddWithValue("$units", JsonSerializer.Serialize(query.Units));
        command.Parameters.AddWithValue("$from", EmbeddedStore.ToUnixNanoseconds(query.From));
        command.Parameters.AddWithValue("$step", query.Step.Ticks * 100);
        command.Parameters.AddWithValue("$start", start);
        command.Parameters.AddWithValue("$end", end);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var b = reader.GetInt64(0);
            var part = query.Aggregate == HistoryAggregate.Last
                ? new Partial(0, 0, 0, 0, reader.GetInt64(1), reader.GetDouble(2))
                : new Partial(reader.GetDouble(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4), 0, 0);
            steps[b] = steps.TryGetValue(b, out var earlier) ? earlier.Merge(part) : part;
        }
    }

    /// <summary>A step's sum, count, min, max and last value (latest time, then largest value), from one or more tables.</summary>
    private readonly record struct Partial(double Total, long Count, double Min, double Max, long LastTs, double Last)
    {
        public Partial Merge(Partial o) => new(
            Total + o.Total, Count + o.Count, Math.Min(Min, o.Min), Math.Max(Max, o.Max),
            Math.Max(LastTs, o.LastTs),
            o.LastTs > LastTs || (o.LastTs == LastTs && o.Last > Last) ? o.Last : Last);

        public double Value(HistoryAggregate aggregate) => aggregate switch
        {
            HistoryAggregate.Avg => Total / Count,
            HistoryAggregate.Min => Min,
            HistoryAggregate.Max => Max,
            HistoryAggregate.Sum => Total,
            HistoryAggregate.Count => Count,
            _ => Last,
        };
    }
}

/// <summary>
/// History from VictoriaMetrics through its Prometheus-compatible <c>/api/v1/query_range</c>, each
/// call wrapped in a timeout and retries. A step [t, t+step) is the rollup window ending 1 ms before
/// t+step, since VictoriaMetrics' windows are open on the left and closed on the right.
/// </summary>
public sealed class VictoriaMetricsHistory : HistorySource
{
    private readonly HttpClient _http;
    private readonly TimeSeriesOptions _options;
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Uses <paramref name="http"/>, whose base address is the server.</summary>
    public VictoriaMetricsHistory(HttpClient http, TimeSeriesOptions options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(e => e.StatusCode is null or >= System.Net.HttpStatusCode.InternalServerError)
                    .Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = options.QueryRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.QueryRetryDelay,
            })
            .AddTimeout(options.QueryTimeout)
            .Build();
    }

    /// <inheritdoc/>
    public override async Task<IReadOnlyList<HistoryPoint>> Query(HistoryQuery query, CancellationToken cancellationToken)
    {
        var stepMs = (long)query.Step.TotalMilliseconds;
        var fromMs = query.From.ToUnixTimeMilliseconds();
        var toMs = query.To.ToUnixTimeMilliseconds();
        var whole = (toMs - fromMs) / stepMs;
        var points = new List<HistoryPoint>();
        if (whole > 0)
            points.AddRange(await Steps(query, fromMs + stepMs - 1, fromMs + whole * stepMs - 1, stepMs, stepMs, cancellationToken));
        var rest = toMs - (fromMs + whole * stepMs);
        if (rest > 0)
            points.AddRange(await Steps(query, toMs - 1, toMs - 1, stepMs, rest, cancellationToken));
        return points;
    }

    /// <summary>Evaluates at start, start+step, … end; each value covers the <paramref name="windowMs"/> before it.</summary>
    private async Task<IEnumerable<HistoryPoint>> Steps(HistoryQuery query, long startMs, long endMs, long stepMs, long windowMs, CancellationToken cancellationToken)
    {
        var selector = Selector(query, windowMs);
        HistoryPoint Point(long evaluatedMs, double value) =>
            new(DateTimeOffset.FromUnixTimeMilliseconds(evaluatedMs + 1 - windowMs), value);

        if (query.Aggregate != HistoryAggregate.Last)
        {
            var expression = query.Aggregate switch
            {
                HistoryAggregate.Avg => $"sum(sum_over_time({selector})) / sum(count_over_time({selector}))",
                HistoryAggregate.Min => $"min(min_over_time({selector}))",
                HistoryAggregate.Max => $"max(max_over_time({selector}))",
                HistoryAggregate.Sum => $"sum(sum_over_time({selector}))",
                _ => $"sum(count_over_time({selector}))",
            };
            var series = await QueryRange(expression, startMs, endMs, stepMs, cancellationToken);
            return series.SelectMany(s => s.Values).Select(v => Point(v.Ms, v.Value)).OrderBy(p => p.Ts);
        }

        // The latest value over several units: each series' last value and its time, combined here.
        var values = QueryRange($"last_over_time({selector})", startMs, endMs, stepMs, cancellationToken);
        var times = QueryRange($"tlast_over_time({selector})", startMs, endMs, stepMs, cancellationToken);
        var timeOf = (await times).ToDictionary(s => s.Labels, s => s.Values.ToDictionary(v => v.Ms, v => v.Value));
        var best = new SortedDictionary<long, (double Time, double Value)>();
        foreach (var s in await values)
        {
            if (!timeOf.TryGetValue(s.Labels, out var seriesTimes)) continue;
            foreach (var (ms, value) in s.Values)
            {
                if (!seriesTimes.TryGetValue(ms, out var t)) continue;
                if (!best.TryGetValue(ms, out var current) || t > current.Time || (t == current.Time && value > current.Value))
                    best[ms] = (t, value);
            }
        }
        return best.Select(b => Point(b.Key, b.Value.Value));
    }

    private static string Selector(HistoryQuery query, long windowMs)
    {
        var units = string.Join('|', query.Units.Order(StringComparer.Ordinal).Select(EscapeRegex));
        return $"{{__name__=\"{Escape(TelemetrySchema.VictoriaMetricsName(query.Metric))}\",{TelemetrySchema.UnitTag}=~\"{Escape(units)}\"}}[{windowMs}ms]";
    }

    private static string EscapeRegex(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (".+*?^$()[]{}|\\".Contains(c)) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");

    private sealed record Series(string Labels, List<(long Ms, double Value)> Values);

    private async Task<List<Series>> QueryRange(string expression, long startMs, long endMs, long stepMs, CancellationToken cancellationToken)
    {
        return await _pipeline.ExecuteAsync(async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/query_range")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["query"] = expression,
                    ["start"] = Seconds(startMs),
                    ["end"] = Seconds(endMs),
                    ["step"] = $"{stepMs}ms",
                    // Without it the server may move start and end to align them for its cache.
                    ["nocache"] = "1",
                }),
            };
            if (!string.IsNullOrEmpty(_options.Token))
                request.Headers.Authorization = new("Bearer", _options.Token);
            using var response = await _http.SendAsync(request, token);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(token);
                throw new HttpRequestException($"VictoriaMetrics answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(token);
            using var json = await JsonDocument.ParseAsync(stream, cancellationToken: token);
            var result = new List<Series>();
            foreach (var s in json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
            {
                var values = new List<(long, double)>();
                foreach (var pair in s.GetProperty("values").EnumerateArray())
                {
                    var ms = (long)Math.Round(pair[0].GetDouble() * 1000);
                    var value = double.Parse(pair[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (double.IsFinite(value)) values.Add((ms, value));
                }
                // Some rollups keep the series name and others drop it; the other labels identify the series.
                var labels = s.GetProperty("metric").EnumerateObject()
                    .Where(l => l.Name != "__name__")
                    .Select(l => l.Name + "=" + l.Value.GetString())
                    .Order(StringComparer.Ordinal);
                result.Add(new Series(string.Join('\n', labels), values));
            }
            return result;
        }, cancellationToken);
    }

    private static string Seconds(long ms) => (ms / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>History from InfluxDB 2.x, in Flux through InfluxDB.Client's <see cref="QueryApi"/>.</summary>
public sealed class InfluxHistory : HistorySource, IDisposable
{
    private readonly InfluxDBClient _client;
    private readonly TimeSeriesOptions _options;

    /// <summary>Connects to the server named in <paramref name="options"/>.</summary>
    public InfluxHistory(TimeSeriesOptions options)
    {
        _options = options;
        _client = new InfluxDBClient(new InfluxDBClientOptions(options.QueryEndpoint)
        {
            Token = options.Token,
            Org = options.Org,
            Bucket = options.Bucket,
            Timeout = options.QueryTimeout,
        });
    }

    /// <summary>The Flux program for <paramref name="query"/>; windows start at <c>from</c>, and the range's stop clips the last.</summary>
    public string Flux(HistoryQuery query)
    {
        var stepMs = (long)query.Step.TotalMilliseconds;
        var offsetMs = ((query.From.ToUnixTimeMilliseconds() % stepMs) + stepMs) % stepMs;
        var units = string.Join(", ", query.Units.Order(StringComparer.Ordinal).Select(Quote));
        var function = query.Aggregate switch
        {
            HistoryAggregate.Avg => "mean",
            HistoryAggregate.Min => "min",
            HistoryAggregate.Max => "max",
            HistoryAggregate.Sum => "sum",
            HistoryAggregate.Count => "count",
            _ => "last",
        };
        return $"""
            from(bucket: {Quote(_options.Bucket)})
              |> range(start: {Time(query.From)}, stop: {Time(query.To)})
              |> filter(fn: (r) => r._measurement == {Quote(TelemetrySchema.Measurement)} and r._field == {Quote(query.Metric)})
              |> filter(fn: (r) => contains(value: r.{TelemetrySchema.UnitTag}, set: [{units}]))
              |> group()
              |> sort(columns: ["_time", "_value"])
              |> aggregateWindow(every: {stepMs}ms, offset: {offsetMs}ms, fn: {function}, createEmpty: false, timeSrc: "_start")
            """;
    }

    /// <inheritdoc/>
    public override async Task<IReadOnlyList<HistoryPoint>> Query(HistoryQuery query, CancellationToken cancellationToken)
    {
        var tables = await _client.GetQueryApi().QueryAsync(Flux(query), _options.Org, cancellationToken);
        return tables.SelectMany(t => t.Records)
            .Select(r => new HistoryPoint(new DateTimeOffset(r.GetTimeInDateTime()!.Value, TimeSpan.Zero), Convert.ToDouble(r.GetValue(), CultureInfo.InvariantCulture)))
            .OrderBy(p => p.Ts)
            .ToList();
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
