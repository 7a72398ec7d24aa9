using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Ioc.LoadGen;

/// <summary>Which series the points of one request come from.</summary>
public enum BatchShape
{
    /// <summary>Series in order, unit by unit: each unit's metrics together, as a unit that reports for itself sends them.</summary>
    UnitMajor,
    /// <summary>Every point of a request from a different unit (while B ≤ U), as a gateway in front of many sensors sends them.</summary>
    Spread,
}

/// <summary>What one run does.</summary>
public sealed record LoadOptions
{
    /// <summary>JSON endpoint or line protocol.</summary>
    public Protocol Protocol { get; init; } = Protocol.Json;

    /// <summary>Points per request (B).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Which series a request's points come from.</summary>
    public BatchShape Shape { get; init; } = BatchShape.UnitMajor;

    /// <summary>Requests in flight at once (C).</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Target rate in points per second, or null to send as fast as the server answers.</summary>
    public double? Rate { get; init; }

    /// <summary>How long to send.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many points, if that comes first.</summary>
    public long? MaxPoints { get; init; }

    /// <summary>The unit token sent as <c>Authorization: Token …</c>.</summary>
    public string UnitToken { get; init; } = "dev-token-hung-yen-ioc";

    /// <summary>Line-protocol measurement.</summary>
    public string Measurement { get; init; } = "telemetry";

    /// <summary>Tags added to every line, already escaped (<c>src=direct</c>).</summary>
    public string? ExtraTags { get; init; }

    /// <summary>
    /// Whether line protocol carries the tags the hub derives from the catalog (locality, department,
    /// projects): on for the baseline written straight to the time-series server, so it stores the same series the hub would.
    /// </summary>
    public bool CatalogTags { get; init; }

    /// <summary>Whether bodies are gzipped.</summary>
    public bool Gzip { get; init; }

    /// <summary>How long screens may take, after the last request, to show the last values sent.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A name for progress lines.</summary>
    public string Label { get; init; } = "push";

    /// <summary>The hub's MQTT listener port, for <see cref="Protocol.Mqtt"/>; the host is the target's.</summary>
    public int MqttPort { get; init; } = 1883;
}

/// <summary>What a run achieved. Rates are acknowledged points over the time from the first request to the last answer.</summary>
public sealed record LoadReport(
    string Label,
    TimeSpan Elapsed,
    long Requests,
    long PointsSent,
    long PointsAcked,
    long PointsShed,
    long PointsFailed,
    string? FirstError,
    Percentiles RequestLatency,
    double MaxLagMs,
    ScreenReport? Screens)
{
    /// <summary>Acknowledged points per second.</summary>
    public double AckedPerSecond => Elapsed > TimeSpan.Zero ? PointsAcked / Elapsed.TotalSeconds : 0;

    /// <summary>One line for logs.</summary>
    public override string ToString()
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"{Label}: {PointsAcked:N0}/{PointsSent:N0} points acknowledged in {Elapsed.TotalSeconds:F1} s = {AckedPerSecond:N0}/s; shed {PointsShed:N0}, failed {PointsFailed:N0}; request p50 {RequestLatency.P50:F1} ms p99 {RequestLatency.P99:F1} ms");
        if (Screens is { } sc)
            s += string.Create(CultureInfo.InvariantCulture,
                $"; screens {sc.Complete}/{sc.Connected} complete, {sc.Frames:N0} frames, unit latency n={sc.Unit.Count:N0} p50 {sc.Unit.P50:F1} p95 {sc.Unit.P95:F1} p99 {sc.Unit.P99:F1} ms, roll-up p99 {sc.Rollup.P99:F1} ms");
        if (FirstError is not null) s += $"; first error: {FirstError}";
        return s;
    }
}

/// <summary>
/// Pushes the series of a <see cref="SeriesSpace"/> to a target with C requests of B points in flight,
/// at a target rate or unbounded, stamping every point with the moment it is sent. With a
/// <see cref="ScreenPool"/>, the screens' view of those points gives ingest-to-screen latency.
/// </summary>
public sealed class LoadGenerator(LoadTarget target, SeriesSpace series, LoadOptions options, Action<string>? log = null)
{
    private readonly long[] _lastSent = series.LastSent;
    private readonly Histogram _requests = new();
    private long _batches;
    private long _requestsSent;
    private long _sent;
    private long _acked;
    private long _shed;
    private long _failed;
    private long _maxLagUs;
    private string? _firstError;

    /// <summary>Points acknowledged so far, for callers that watch a run from outside.</summary>
    public long PointsAcked => Interlocked.Read(ref _acked);

    /// <summary>Runs once; screens, if given, are armed for this run and left connected.</summary>
    public async Task<LoadReport> RunAsync(ScreenPool? screens, CancellationToken cancellationToken)
    {
        using var client = target.CreateClient(options.Concurrency);
        var started = DateTimeOffset.UtcNow;
        screens?.Arm(started);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
            () => options.Protocol == Protocol.Mqtt ? WorkMqtt(clock, cancellationToken) : Work(client, clock, cancellationToken), cancellationToken)).ToArray();
        var progress = Progress(clock, stop.Token);
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            await stop.CancelAsync();
            await progress;
        }
        var elapsed = clock.Elapsed;
        ScreenReport? screenReport = null;
        if (screens is not null)
        {
            var complete = await screens.SettleAsync(_lastSent, options.SettleTimeout, cancellationToken);
            screenReport = screens.Report(complete);
        }
        var report = new LoadReport(options.Label, elapsed, Interlocked.Read(ref _requestsSent), Interlocked.Read(ref _sent), Interlocked.Read(ref _acked),
            Interlocked.Read(ref _shed), Interlocked.Read(ref _failed), _firstError, _requests.Snapshot(), Interlocked.Read(ref _maxLagUs) / 1000.0, screenReport);
        log?.Invoke(report.ToString());
        return report;
    }

    private async Task Work(HttpClient client, Stopwatch clock, CancellationToken cancellationToken)
    {
        var points = new OutgoingPoint[options.BatchSize];
        var body = new ArrayBufferWriter<byte>(options.BatchSize * 96);
        using var zipped = new MemoryStream();
        var path = PointWriter.PathOf(options.Protocol);
        var mediaType = MediaTypeHeaderValue.Parse(PointWriter.ContentTypeOf(options.Protocol));
        var auth = new AuthenticationHeaderValue("Token", options.UnitToken);
        var strings = new LineStrings();
        var end = options.Duration;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await NextBatch(clock, cancellationToken) is not { } next) return;
            var (first, count) = next;
            Fill(points.AsSpan(0, count), first);
            body.ResetWrittenCount();
            if (options.Protocol == Protocol.Json)
                PointWriter.WriteJson(body, points.AsSpan(0, count));
            else
                PointWriter.WriteLineProtocol(body, points.AsSpan(0, count), options.Measurement, options.ExtraTags, strings);
            using var request = new HttpRequestMessage(HttpMethod.Post, path);
            request.Headers.Authorization = auth;
            if (options.Gzip)
            {
                PointWriter.Gzip(body.WrittenSpan, zipped);
                request.Content = new ByteArrayContent(zipped.GetBuffer(), 0, (int)zipped.Length);
                request.Content.Headers.ContentEncoding.Add("gzip");
            }
            else
            {
                request.Content = new ReadOnlyMemoryContent(body.WrittenMemory);
            }
            request.Content.Headers.ContentType = mediaType;
            Interlocked.Add(ref _sent, count);
            Interlocked.Increment(ref _requestsSent);
            var sentAt = clock.Elapsed;
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                _requests.Record(clock.Elapsed - sentAt);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Add(ref _acked, count);
                }
                else if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Add(ref _shed, count);
                    // Honour Retry-After as a real agent would, but never past the end of the run.
                    var retry = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    var left = end - clock.Elapsed;
                    if (options.Rate is null && left > TimeSpan.Zero)
                        await Task.Delay(retry < left ? retry : left, cancellationToken);
                }
                else
                {
                    Interlocked.Add(ref _failed, count);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    Interlocked.CompareExchange(ref _firstError, $"{(int)response.StatusCode} {Trim(text)}", null);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Add(ref _failed, count);
                Interlocked.CompareExchange(ref _firstError, ex.GetType().Name + ": " + Trim(ex.Message), null);
            }
        }
    }

    /// <summary>
    /// The next batch's first point and size, once it is due at the target rate; null when the run is over
    /// (its length, its point count, or twice its length for a rate the server cannot keep up with).
    /// </summary>
    private async Task<(long First, int Count)?> NextBatch(Stopwatch clock, CancellationToken cancellationToken)
    {
        var end = options.Duration;
        var batch = Interlocked.Increment(ref _batches) - 1;
        var first = batch * options.BatchSize;
        var count = options.BatchSize;
        if (options.MaxPoints is { } max)
        {
            if (first >= max) return null;
            count = (int)Math.Min(count, max - first);
        }
        if (options.Rate is { } rate)
        {
            var due = TimeSpan.FromSeconds(first / rate);
            // A target the server (or this machine) cannot keep up with ends the run at twice its length; the report shows the rate achieved.
            if (due >= end || clock.Elapsed >= end * 2) return null;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait, cancellationToken);
            else
                RecordLag(-wait);
        }
        else if (clock.Elapsed >= end)
        {
            return null;
        }
        return (first, count);
    }

    /// <summary>
    /// One MQTT connection publishing at QoS 1: a batch's points, split by unit, each unit's as the JSON body on
    /// <c>ioc/{unit}</c>, one message after another (the listener takes a connection's messages one at a time, as
    /// HTTP takes a connection's requests). A batch counts as answered once its last PUBACK is back.
    /// </summary>
    private async Task WorkMqtt(Stopwatch clock, CancellationToken cancellationToken)
    {
        var points = new OutgoingPoint[options.BatchSize];
        var body = new ArrayBufferWriter<byte>(options.BatchSize * 96);
        using var mqtt = new MQTTnet.MqttClientFactory().CreateMqttClient();
        try
        {
            var connected = await mqtt.ConnectAsync(new MQTTnet.MqttClientOptionsBuilder()
                .WithTcpServer(target.BaseAddress.Host, options.MqttPort)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                .WithClientId("loadgen-" + Guid.NewGuid().ToString("N"))
                .WithCredentials("loadgen", options.UnitToken)
                .WithTimeout(TimeSpan.FromSeconds(60))
                .Build(), cancellationToken);
            if (connected.ResultCode != MQTTnet.MqttClientConnectResultCode.Success)
                throw new InvalidOperationException($"MQTT connect refused: {connected.ResultCode} {connected.ReasonString}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _firstError, "MQTT connect: " + Trim(ex.Message), null);
            return;
        }
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await NextBatch(clock, cancellationToken) is not { } next) break;
            var (first, count) = next;
            Fill(points.AsSpan(0, count), first);
            Interlocked.Add(ref _sent, count);
            Interlocked.Increment(ref _requestsSent);
            var sentAt = clock.Elapsed;
            var at = 0;
            while (at < count)
            {
                var unit = points[at].Unit;
                var run = 1;
                while (at + run < count && ReferenceEquals(points[at + run].Unit, unit)) run++;
                body.ResetWrittenCount();
                PointWriter.WriteJson(body, points.AsSpan(at, run));
                try
                {
                    var ack = await mqtt.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder()
                        .WithTopic("ioc/" + unit)
                        .WithPayload(body.WrittenMemory.ToArray())
                        .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
                        .Build(), cancellationToken);
                    if (ack.ReasonCode == MQTTnet.MqttClientPublishReasonCode.Success)
                        Interlocked.Add(ref _acked, run);
                    else if (ack.ReasonCode is MQTTnet.MqttClientPublishReasonCode.QuotaExceeded or MQTTnet.MqttClientPublishReasonCode.ImplementationSpecificError)
                        Interlocked.Add(ref _shed, run);
                    else
                    {
                        Interlocked.Add(ref _failed, run);
                        Interlocked.CompareExchange(ref _firstError, $"PUBACK {ack.ReasonCode}: {Trim(ack.ReasonString ?? "")}", null);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Add(ref _failed, count - at);
                    Interlocked.CompareExchange(ref _firstError, ex.GetType().Name + ": " + Trim(ex.Message), null);
                    return;
                }
                at += run;
            }
            _requests.Record(clock.Elapsed - sentAt);
        }
        if (mqtt.IsConnected)
            await mqtt.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
    }

    /// <summary>The points of series <c>first … first+n-1</c> (mod the space), stamped now and strictly later than each series' previous point.</summary>
    private void Fill(Span<OutgoingPoint> points, long first)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < points.Length; i++)
        {
            var s = options.Shape == BatchShape.Spread ? series.Spread(first + i) : (int)((first + i) % series.Count);
            var (unit, metric) = series[s];
            long previous, ts;
            do
            {
                previous = Volatile.Read(ref _lastSent[s]);
                ts = Math.Max(now, previous + 1);
            }
            while (Interlocked.CompareExchange(ref _lastSent[s], ts, previous) != previous);
            // Plausible, varied values with two decimals; some cross thresholds, as real ones do.
            var value = (first + i) * 7919 % 10000 / 100.0;
            points[i] = new OutgoingPoint(unit.Id, metric, value, ts, options.CatalogTags ? unit.CatalogTags : null);
        }
    }

    private void RecordLag(TimeSpan lag)
    {
        var us = lag.Ticks / TimeSpan.TicksPerMicrosecond;
        var max = Interlocked.Read(ref _maxLagUs);
        while (us > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxLagUs, us, max);
            if (seen == max) break;
            max = seen;
        }
    }

    private async Task Progress(Stopwatch clock, CancellationToken cancellationToken)
    {
        if (log is null) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long last = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var acked = Interlocked.Read(ref _acked);
                log(string.Create(CultureInfo.InvariantCulture,
                    $"{options.Label}: {clock.Elapsed.TotalSeconds,5:F1} s  sent {Interlocked.Read(ref _sent):N0}  acked {acked:N0} ({acked - last:N0}/s)  shed {Interlocked.Read(ref _shed):N0}  failed {Interlocked.Read(ref _failed):N0}"));
                last = acked;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Trim(string text) => text.Length > 300 ? text[..300] + "…" : text.ReplaceLineEndings(" ");
}
