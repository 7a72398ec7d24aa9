using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Ioc.Contracts;
using Ioc.Ingest;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;

namespace Ioc.Benchmarks;

/// <summary>
/// What a line-protocol request costs on the thread that takes it before the write-ahead buffer: parsed with its lines
/// noted, then spliced behind the units' ids as the buffer keeps it. Scenario 1's catalog (1,000 units × 10 metrics) and
/// its two shapes at B = 500: <i>unit-major</i> (50 units, ten fields a line) and <i>spread</i> (500 units, one field a
/// line). Each operation is one point, so the two means compare as the hub's cost of a point in each shape.
/// </summary>
[MemoryDiagnoser]
public class RequestIntake
{
    private const int Batch = 500;
    private const int Requests = 20;

    private TelemetryLines _parser = null!;
    private LineProtocolFormatter _formatter = null!;
    private IngestRules _rules;
    private byte[][] _unitMajor = null!;
    private byte[][] _spread = null!;
    private readonly List<TelemetryPoint> _points = new(Batch);
    private readonly ReceivedLines _received = new();

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ioc-bench-intake-{Environment.ProcessId}.json");
        Ioc.LoadGen.BenchCatalog.Write(path, units: 1_000, metrics: 10);
        var catalog = Catalog.Load(path);
        File.Delete(path);
        _parser = new TelemetryLines(catalog);
        _formatter = new LineProtocolFormatter(catalog);
        var now = DateTimeOffset.UtcNow;
        _rules = new IngestRules(now, new TokenGrant("bench", "bench", null), new IngestOptions());
        var units = catalog.Entities.Where(e => e.Kind == EntityKind.Unit).ToArray();
        var ms = now.ToUnixTimeMilliseconds() - 60_000;
        // Request r of unit-major: units 50r … 50r + 49, each with its ten metrics on one line.
        _unitMajor = [.. Enumerable.Range(0, Requests).Select(r => Body(Enumerable.Range(0, Batch / 10).Select(i =>
        {
            var unit = units[(r * Batch / 10 + i) % units.Length];
            return $"telemetry,unit={unit.Id} {string.Join(',', unit.Metrics.Select((m, k) => $"{m}={(r + i + k) % 97}.25"))} {ms + r}";
        })))];
        // Request r of spread: 500 units, one metric each.
        _spread = [.. Enumerable.Range(0, Requests).Select(r => Body(Enumerable.Range(0, Batch).Select(i =>
        {
            var k = r * Batch + i;
            var unit = units[k % units.Length];
            return $"telemetry,unit={unit.Id} {unit.Metrics[k / units.Length % unit.Metrics.Length]}={k % 97}.25 {ms + r}";
        })))];
    }

    private static byte[] Body(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    // As the hub takes a request: a new list of points, which the parser sizes, and the lines noted afresh.
    private int Take(byte[][] requests)
    {
        var n = 0;
        foreach (var body in requests)
        {
            var points = new List<TelemetryPoint>();
            using var received = new ReceivedLines();
            if (_parser.Parse(body, Precision.Milliseconds, _rules, points, received) is { } error)
                throw new InvalidOperationException(error.ToString());
            if (!_formatter.TrySpliceUtf8(points, body, received.Lines, received.Precision, out var spliced, compact: true))
                throw new InvalidOperationException("the request was not spliced");
            ArrayPool<byte>.Shared.Return(spliced.Buffer);
            n += points.Count;
        }
        return n;
    }

    /// <summary>Each unit's ten metrics on one line, 50 units a request.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch * Requests)]
    public int UnitMajor() => Take(_unitMajor);

    /// <summary>One point a line, every line another unit.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Requests)]
    public int Spread() => Take(_spread);

    /// <summary>The parse alone (with its notes), unit-major: what the splice adds is the difference.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Requests)]
    public int UnitMajorParse() => Parse(_unitMajor);

    /// <summary>The parse alone (with its notes), spread.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Requests)]
    public int SpreadParse() => Parse(_spread);

    /// <summary>The syntax alone, unit-major: every line read, nothing looked up.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Requests)]
    public int UnitMajorRead() => Read(_unitMajor);

    /// <summary>The syntax alone, spread.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Requests)]
    public int SpreadRead() => Read(_spread);

    private int Parse(byte[][] requests)
    {
        var n = 0;
        foreach (var body in requests)
        {
            _points.Clear();
            if (_parser.Parse(body, Precision.Milliseconds, _rules, _points, _received) is { } error)
                throw new InvalidOperationException(error.ToString());
            n += _points.Count;
        }
        return n;
    }

    private static int Read(byte[][] requests)
    {
        var n = 0;
        foreach (var body in requests)
        {
            var reader = new LineReader(body);
            while (reader.Read(out var line, out _) == ReadStatus.Line) n += line.Fields.Length;
        }
        return n;
    }
}
