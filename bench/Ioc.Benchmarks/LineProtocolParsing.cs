using System.Text;
using BenchmarkDotNet.Attributes;
using Ioc.Contracts;
using Ioc.Ingest;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;

namespace Ioc.Benchmarks;

/// <summary>
/// The line protocol parser on bodies shaped like real agents' writes. Each operation is one line, so the
/// mean is the time per line (lines/s = 1 / mean) and the allocation column is bytes per line.
/// </summary>
[MemoryDiagnoser]
public class LineProtocolParsing
{
    private const int Lines = 10_000;

    private TelemetryLines _parser = null!;
    private IngestRules _rules;
    private byte[] _sensors = null!;
    private byte[] _indicators = null!;
    private byte[] _escaped = null!;
    private byte[] _spread = null!;
    private TelemetryLines _provinceParser = null!;
    private byte[] _provinceSpread = null!;
    private List<TelemetryPoint> _points = null!;

    [GlobalSetup]
    public void Setup()
    {
        var catalog = Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));
        _parser = new TelemetryLines(catalog);
        var now = DateTimeOffset.UtcNow;
        _rules = new IngestRules(now, new TokenGrant("bench", "bench", null), new IngestOptions { MaxPointsPerRequest = 1_000_000 });
        var units = catalog.Entities.Where(e => e.Id.EndsWith("-traffic-1", StringComparison.Ordinal)).Select(e => e.Id).ToArray();
        var t0 = (now.ToUnixTimeMilliseconds() - 60_000) * 1_000_000;

        // Telegraf-style: one line per unit and second, two fields, a host tag.
        _sensors = Body(i => $"traffic,host=gw-{i % 4},unit={units[i % units.Length]} vehicle_count={i % 300}i,avg_speed={30 + i % 40}.25 {t0 + i * 1_000_000L}");
        // A People's Committee's seven indicators on one line.
        _indicators = Body(i => $"ubnd,unit=van-lam-ubnd it-officials={i % 5}i,dt-budget-share=1.{i % 10},online-dossier-share=55.5,online-payment-share=40,"
            + $"digitised-dossier-share=70.25,village-tech-team-share=90,eid-level2-share=61.5 {t0 + i * 1_000_000L}");
        // Escaped Vietnamese tag values that change on every line.
        _escaped = Body(i => $"air,unit=van-lam-air-1,site=Cổng\\ chợ\\,\\ số\\ {i},district=Văn\\ Lâm pm25={i % 80}.5 {t0 + i * 1_000_000L}");
        // A gateway in front of many sensors: every line another unit, one field, in milliseconds.
        var all = catalog.Entities.Where(e => e.Kind == EntityKind.Unit).ToArray();
        var ms = now.ToUnixTimeMilliseconds() - 60_000;
        _spread = Body(i => $"telemetry,unit={all[i % all.Length].Id} {all[i % all.Length].Metrics[i / all.Length % all[i % all.Length].Metrics.Length]}={i % 97}.25 {ms + i / 500}");
        _points = new List<TelemetryPoint>(Lines * 7);

        // The same gateway in front of 1,000 units of ten metrics each, the catalog of benchmark scenario 1: unit after
        // unit, the next metric of every unit on the next pass, so a line's unit and its catalog entry are seldom warm.
        var path = Path.Combine(Path.GetTempPath(), $"ioc-bench-catalog-{Environment.ProcessId}.json");
        Ioc.LoadGen.BenchCatalog.Write(path, units: 1_000, metrics: 10);
        var province = Catalog.Load(path);
        File.Delete(path);
        _provinceParser = new TelemetryLines(province);
        var bench = province.Entities.Where(e => e.Kind == EntityKind.Unit).ToArray();
        _provinceSpread = Body(i => $"telemetry,unit={bench[i % bench.Length].Id} {bench[i % bench.Length].Metrics[i / bench.Length % 10]}={i % 97}.25 {ms + i / 500}");
    }

    private static byte[] Body(Func<int, string> line) => Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, Lines).Select(line)));

    private int Parse(byte[] body, Precision precision = Precision.Nanoseconds)
    {
        _points.Clear();
        if (_parser.Parse(body, precision, _rules, _points) is { } error) throw new InvalidOperationException(error.ToString());
        return _points.Count;
    }

    /// <summary>One field per line, every line another unit, millisecond timestamps: a gateway's spread request.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int SpreadLines() => Parse(_spread, Precision.Milliseconds);

    /// <summary>As <see cref="SpreadLines"/>, over the 1,000 units of benchmark scenario 1's catalog.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int SpreadLinesThousandUnits()
    {
        _points.Clear();
        if (_provinceParser.Parse(_provinceSpread, Precision.Milliseconds, _rules, _points) is { } error) throw new InvalidOperationException(error.ToString());
        return _points.Count;
    }

    /// <summary>Two fields per line, tags repeating every four lines.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int SensorLines() => Parse(_sensors);

    /// <summary>Seven fields per line.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int IndicatorLines() => Parse(_indicators);

    /// <summary>Escaped UTF-8 tags, new on every line (one string per line).</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int EscapedTagLines() => Parse(_escaped);

    /// <summary>The syntax alone: every line, tag and field read, nothing mapped.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int ReadOnly()
    {
        var n = 0;
        var reader = new LineReader(_sensors);
        while (reader.Read(out var line, out _) == ReadStatus.Line)
        {
            foreach (var _ in line.EnumerateTags()) n++;
            foreach (var f in line.EnumerateFields()) n += (int)f.Value.Kind;
        }
        return n;
    }
}
