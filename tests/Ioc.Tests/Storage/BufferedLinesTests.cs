using InfluxDB.Client.Api.Domain;
using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ioc.Tests.Storage;

/// <summary>Requests buffered as the time-series server's line protocol, formatted once on the way in.</summary>
public sealed class BufferedLinesTests : IDisposable
{
    private static readonly Contracts.Catalog Catalog = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));
    private static readonly DateTimeOffset At = new(2026, 11, 27, 7, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("ioc-wal-lines-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WriteAheadLog Open() =>
        new(_directory, new BufferOptions { SegmentBytes = 1 << 20, MaxPoints = 1_000_000, MaxBytes = 1L << 30, CheckpointInterval = TimeSpan.FromSeconds(1) },
            _time, NullLogger<WriteAheadLog>.Instance);

    private static readonly List<TelemetryPoint> Request =
    [
        new("van-lam-air-1", "pm25", 35.25, At.AddMilliseconds(123), @"site=cổng\ số\ 2,tầng=1"),
        new("van-lam-air-1", "aqi", -0.0001, At.AddMilliseconds(123), @"site=cổng\ số\ 2,tầng=1"),
        new("van-lam-air-1", "aqi", 1e300, At.AddSeconds(1)),
        new("tp-hung-yen-traffic-1", "vehicle-count", 0, At, "lane=1"),
        new("so-tttt-office", "dt-budget-share", 1.25, At.AddSeconds(-1)),
    ];

    private static async Task<(string Text, WritePrecision Precision)> Buffer(WriteAheadLog log, List<TelemetryPoint> points)
    {
        var (bytes, length, precision) = new LineProtocolFormatter(Catalog).FormatUtf8(points);
        Assert.True(await log.AppendLines(bytes.AsSpan(0, length), points.Count, precision, Cancel));
        return (Encoding.UTF8.GetString(bytes, 0, length), precision);
    }

    [Fact]
    public async Task A_request_buffered_as_line_protocol_is_read_for_the_server_as_the_very_text_that_was_buffered()
    {
        using var log = Open();
        var (text, precision) = await Buffer(log, Request);

        using var reader = log.OpenReader();
        var points = new List<TelemetryPoint>();
        Assert.True(reader.TryReadLines(points, out var lines, out var isLines));
        Assert.True(isLines);
        Assert.Equal(text, Encoding.UTF8.GetString(lines.Utf8));
        Assert.Equal(WritePrecision.Ms, precision);
        Assert.Equal(precision, lines.Precision);
        Assert.Equal(Request.Count, lines.Points);
        Assert.Empty(points);
        Assert.StartsWith("telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1,site=cổng\\ số\\ 2,tầng=1 pm25=35.25,aqi=-0.0001 ", Encoding.UTF8.GetString(lines.Utf8));
        Assert.False(reader.TryReadLines(points, out _, out _));
        Assert.Equal(Request.Count, log.UnconfirmedPoints);
    }

    [Fact]
    public async Task A_request_buffered_as_line_protocol_reads_back_point_for_point_for_the_embedded_store_also_after_reopening()
    {
        using (var log = Open())
            await Buffer(log, Request);
        using var reopened = Open();
        using var reader = reopened.OpenReader();
        var points = new List<TelemetryPoint>();
        Assert.True(reader.TryRead(points));
        Assert.Equal(Request, points);
        Assert.Equal(Request.Count, reopened.UnconfirmedPoints);
    }

    // In the same precision as Request, so that both go in one batch. Units whose ids are ten bytes long (a length that is a line feed's byte) and over 127 (a length of two bytes), beside the catalog's.
    private static readonly List<TelemetryPoint> Awkward =
    [
        new("abcdefghij", "pm25", 1.5, At.AddMilliseconds(1)),
        new(new string('u', 140), "pm25", 2.5, At.AddMilliseconds(2), "lane=2"),
        new("van-lam-air-1", "pm25", 3.5, At.AddMilliseconds(3)),
    ];

    private static async Task<string> BufferCompact(WriteAheadLog log, List<TelemetryPoint> points)
    {
        var formatter = new LineProtocolFormatter(Catalog);
        var (bytes, length, precision) = formatter.FormatUtf8(points, compact: true);
        Assert.True(await log.AppendLines(bytes.AsSpan(0, length), points.Count, precision, Cancel, compact: true));
        var (full, fullLength, _) = formatter.FormatUtf8(points);
        Assert.True(length < fullLength, $"compact {length} bytes, full {fullLength}");
        return Encoding.UTF8.GetString(full, 0, fullLength);
    }

    [Fact]
    public async Task Requests_buffered_without_their_prefixes_are_sent_as_the_text_the_formatter_writes_with_the_catalogs_tags_put_back()
    {
        using var log = Open();
        var first = await BufferCompact(log, Request);
        var second = await BufferCompact(log, Awkward);

        using var reader = log.OpenReader();
        var formatter = new LineProtocolFormatter(Catalog);
        var batch = new PointBatch(1000);
        var points = new List<TelemetryPoint>();
        while (reader.TryReadLines(points, out var lines, out var isLines))
        {
            Assert.True(isLines);
            Assert.True(lines.Compact);
            batch.AddLines(lines.Utf8, lines.Points, lines.Precision, formatter);
        }
        Assert.Empty(points);
        Assert.Equal(first + "\n" + second, Encoding.UTF8.GetString(batch.Lines));
        Assert.Equal(Request.Count + Awkward.Count, batch.Count);
        Assert.Contains("\ntelemetry,unit=abcdefghij pm25=1.5 ", first + "\n" + second);
    }

    [Fact]
    public async Task A_request_buffered_without_its_prefixes_reads_back_point_for_point_for_the_embedded_store_after_reopening()
    {
        using (var log = Open())
        {
            await BufferCompact(log, Request);
            await BufferCompact(log, Awkward);
        }
        using var reopened = Open();
        using var reader = reopened.OpenReader();
        var points = new List<TelemetryPoint>();
        while (reader.TryRead(points)) { }
        Assert.Equal([.. Request, .. Awkward], points);
    }

    [Fact]
    public async Task A_request_buffered_as_points_is_read_as_points_for_the_drainer_to_format()
    {
        using var log = Open();
        Assert.True(await log.Append(Request, Cancel));
        using var reader = log.OpenReader();
        var points = new List<TelemetryPoint>();
        Assert.True(reader.TryReadLines(points, out _, out var isLines));
        Assert.False(isLines);
        Assert.Equal(Request, points);
    }

    [Fact]
    public async Task Requests_in_different_precisions_sent_through_the_hub_reach_VictoriaMetrics_each_point_once_with_its_value()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        await using var hub = new StorageHub(StorageHub.VictoriaMetrics(vm.Url));
        var seconds = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeSeconds());
        // Requests of 50 points in whole seconds and in milliseconds, alternating: batches of 200 points must
        // still send each request in its own precision.
        var points = Enumerable.Range(0, 600).Select(i => new Pushed(
            i % 2 == 0 ? "van-lam-air-1" : "kim-dong-water-1", i % 2 == 0 ? "pm25" : "water-level", Math.Round(i * 0.5 + 1, 1),
            i / 50 % 2 == 0 ? seconds.AddSeconds(i) : seconds.AddSeconds(i).AddMilliseconds(i % 50 + 1))).ToList();
        await StorageScenario.Push(hub.CreateUnitClient(), points, 50, Cancel);
        await hub.Drained(Cancel);

        var stored = await vm.Export("{__name__=~\"telemetry_.*\"}", Cancel);
        Assert.Equal(points.Count, stored.Count);
        var sent = points.ToDictionary(p => (p.Unit, "telemetry_" + p.Metric, p.Ts.ToUnixTimeMilliseconds()), p => p.Value);
        foreach (var sample in stored)
            Assert.Equal(sent[(sample.Labels["unit"], sample.Name, sample.TimestampMs)], sample.Value);
    }
}
