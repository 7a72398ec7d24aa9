using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;

namespace Ioc.Benchmarks;

/// <summary>
/// What the drainer spends to turn a batch of buffered points into the body InfluxDB.Client sends, per
/// point (each operation is one batch of <see cref="Points"/> points: mean ÷ points is the time per point):
/// a <c>PointData</c> per point, as <c>WritePointsAsync</c> takes them; the hub's formatter run at drain
/// time over decoded points (the hub before the buffer kept line protocol); the buffered records made strings and
/// joined as <c>WriteRecordsAsync</c> joins and encodes them; and the buffered bytes joined into the one body the
/// client's write service takes, as the drainer now does. <see cref="FormatOnIngest"/> is the one formatting,
/// paid on the request's thread.
/// </summary>
[MemoryDiagnoser]
public class TimeSeriesWriting
{
    private const int Points = 5_000;
    private const int RequestSize = 500;

    private Catalog _catalog = null!;
    private LineProtocolFormatter _formatter = null!;
    private List<TelemetryPoint> _points = null!;
    private List<TelemetryPoint>[] _requests = null!;
    private byte[][] _buffered = null!;
    private readonly PointBatch _batch = new(Points);

    [GlobalSetup]
    public void Setup()
    {
        _catalog = Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));
        _formatter = new LineProtocolFormatter(_catalog);
        var units = _catalog.Entities.Where(e => e.Kind == EntityKind.Unit).ToArray();
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000);
        // Spread: every point of a request from another unit, as a gateway in front of many sensors sends them.
        _points = [.. Enumerable.Range(0, Points).Select(i =>
        {
            var unit = units[i % units.Length];
            return new TelemetryPoint(unit.Id, unit.Metrics[i / units.Length % unit.Metrics.Length], 10 + i % 97 * 0.25, t0.AddMilliseconds(i / RequestSize));
        })];
        _requests = [.. _points.Chunk(RequestSize).Select(c => c.ToList())];
        _buffered = [.. _requests.Select(r =>
        {
            var (bytes, length, _) = _formatter.FormatUtf8(r);
            var copy = bytes.AsSpan(0, length).ToArray();
            ArrayPool<byte>.Shared.Return(bytes);
            return copy;
        })];
    }

    /// <summary>Before: a <c>PointData</c> per point, tagged from the catalog, as <c>WritePointsAsync</c> serialises them.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Points)]
    public int PointDataPerPoint()
    {
        var lines = new List<string>(Points);
        foreach (var p in _points)
        {
            var entity = _catalog.Entity(p.Unit);
            var point = PointData.Measurement(TelemetrySchema.Measurement).Tag(TelemetrySchema.UnitTag, p.Unit);
            if (entity.Locality is { } locality) point = point.Tag(TelemetrySchema.LocalityTag, locality);
            if (entity.Department is { } department) point = point.Tag(TelemetrySchema.DepartmentTag, department);
            if (TelemetrySchema.ProjectsValue(entity.Projects) is { } projects) point = point.Tag(TelemetrySchema.ProjectsTag, projects);
            lines.Add(point.Field(p.Metric, p.Value).Timestamp(p.Timestamp, WritePrecision.Ms).ToLineProtocol());
        }
        return string.Join('\n', lines).Length;
    }

    /// <summary>Before this change: the hub's formatter over the batch's decoded points, at drain time.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int FormatAtDrain() => _formatter.Format(_points).Text.Length;

    /// <summary>
    /// The buffered requests' line protocol read out as records (a string each) and handed to <c>WriteRecordsAsync</c>,
    /// which appends them to a <see cref="StringBuilder"/>, makes a string of it and encodes that as UTF-8.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int RecordsAsBuffered()
    {
        var records = new List<string>(_buffered.Length);
        foreach (var b in _buffered) records.Add(Encoding.UTF8.GetString(b));
        var body = new StringBuilder();
        foreach (var r in records) body.Append(r).Append('\n');
        body.Remove(body.Length - 1, 1);
        return Encoding.UTF8.GetBytes(body.ToString()).Length;
    }

    /// <summary>Now: the buffered bytes joined in the drainer's reused batch, and the exact-length body the write service takes.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int BytesAsBuffered()
    {
        _batch.Clear();
        foreach (var b in _buffered) _batch.AddLines(b, RequestSize, WritePrecision.Ms);
        return _batch.Body().Length;
    }

    /// <summary>After: the one formatting of each request, on its way into the buffer.</summary>
    [Benchmark(OperationsPerInvoke = Points)]
    public int FormatOnIngest()
    {
        var n = 0;
        foreach (var r in _requests)
        {
            var (bytes, length, _) = _formatter.FormatUtf8(r);
            n += length;
            ArrayPool<byte>.Shared.Return(bytes);
        }
        return n;
    }
}
