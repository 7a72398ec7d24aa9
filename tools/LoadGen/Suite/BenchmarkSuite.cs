using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;

namespace Ioc.LoadGen.Suite;

/// <summary>
/// Runs the scenarios of the benchmark issue against the Release hub and a VictoriaMetrics on this
/// machine, each measure over repeated runs beside its baseline from the same runs, and writes the
/// tables to <c>results.md</c> in the work directory. Features that have not landed at this commit
/// are found out at run time and reported as not available.
/// </summary>
internal sealed partial class BenchmarkSuite
{
    private const string NotAtThisCommit = "not available at this commit";
    private readonly SuiteOptions _o;
    private readonly Results _results;
    private readonly string _catalog;
    private readonly string _memoryCatalog;
    private readonly SeriesSpace _series;
    private readonly CancellationToken _ct;
    private Capabilities? _caps;

    private BenchmarkSuite(SuiteOptions options, CancellationToken cancellationToken)
    {
        _o = options;
        _ct = cancellationToken;
        Directory.CreateDirectory(options.Work);
        _results = new Results(Path.Combine(options.Work, "results.md"));
        _catalog = Path.Combine(options.Work, $"catalog-{options.Units}.json");
        _memoryCatalog = Path.Combine(options.Work, $"catalog-{options.Units + options.MemoryUnits}.json");
        BenchCatalog.Write(_catalog, options.Units, options.Metrics);
        _series = SeriesSpace.FromCatalog(_catalog, options.Units, options.Metrics);
    }

    /// <summary>What the hub at this commit can do, found out by trying.</summary>
    private sealed record Capabilities(bool LineProtocol, string? LineProtocolWhy, bool Writer, string? WriterWhy);

    public static async Task<int> RunAsync(SuiteOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var suite = new BenchmarkSuite(options, cancellationToken);
            await suite.RunAsync();
            return 0;
        }
        finally
        {
            ManagedProcess.KillAll();
        }
    }

    private static void Log(string line) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

    private async Task RunAsync()
    {
        _results.Header = Header();
        Console.WriteLine(_results.Header);
        Console.WriteLine();
        Console.WriteLine(Results.TableHeader);
        var scenarios = new (int Number, string Name, Func<Task> Run)[]
        {
            (1, "maximum sustained ingest", Ingest),
            (2, "steady load, ingest-to-screen latency", Steady),
            (3, "memory", Memory),
            (4, "history queries", History),
            (5, "time-series outage", Outage),
            (6, "cold start", ColdStart),
            (7, "one frozen screen among many", FrozenScreenAmongMany),
            (8, "province", Province),
            (9, "MQTT ingest beside JSON HTTP", Mqtt),
        };
        foreach (var (number, name, run) in scenarios)
        {
            if (!_o.Only.Contains(number)) continue;
            Log($"scenario {number}: {name}");
            try
            {
                await run();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_ct.IsCancellationRequested)
            {
                // One broken scenario must not hide the others' figures.
                _results.Note($"scenario {number} ({name}) failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                Log(ex.ToString());
            }
            ManagedProcess.KillAll();
        }
        _results.Note($"load average at the end: {LoadAverage()}");
        Log($"results written to {Path.Combine(_o.Work, "results.md")}");
    }

    private string Header()
    {
        static string Read(string path) { try { return File.ReadAllText(path).Trim(); } catch (IOException) { return "?"; } }
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var mem = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        static string Run(string file, params string[] args)
        {
            try
            {
                var (exitCode, text) = Repository.Execute(file, args, TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
                return exitCode == 0 ? text.Trim() : "";
            }
            catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or TimeoutException) { return ""; }
        }
        // Debian's build prints no version of its own; its package version says which it is.
        var vmVersion = Run(_o.Vm, "-version") is { Length: > 0 } v ? v : Run("dpkg-query", "-W", "-f=${Version}", "victoria-metrics") is { Length: > 0 } d ? "package " + d : "?";
        return string.Create(CultureInfo.InvariantCulture, $"""
            ## Benchmark run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(_o.Quick ? " — QUICK (smoke) run: short runs, figures are not benchmarks" : "")}

            - commit: `{_o.Commit}`
            - machine: {Environment.ProcessorCount} cores ({cpu}), {long.Parse(mem, CultureInfo.InvariantCulture) / 1024 / 1024.0:F1} GiB memory, Linux {Read("/proc/sys/kernel/osrelease")}, {RuntimeInformation.FrameworkDescription}
            - VictoriaMetrics: `{_o.Vm}` {vmVersion}
            - load average at the start: {LoadAverage()}
            - runs per measure: {_o.Runs}; C = {_o.Concurrency} for scenario 1; {_o.Units:N0} units × {_o.Metrics} metrics ({_series.Count:N0} series)
            - work directory (logs, catalogs, data): `{_o.Work}`
            """);
    }

    private static string LoadAverage() { try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); } catch (IOException) { return "?"; } }

    // ---------------------------------------------------------------- helpers

    private Task<LoadReport> Push(LoadTarget target, Protocol protocol, int batch, int concurrency, double? rate, TimeSpan duration, string label,
        ScreenPool? screens = null, long? points = null, string? tags = null, bool quiet = false, BatchShape shape = BatchShape.UnitMajor) =>
        new LoadGenerator(target, _series, new LoadOptions
        {
            Protocol = protocol,
            BatchSize = batch,
            Shape = shape,
            Concurrency = concurrency,
            Rate = rate,
            Duration = duration,
            MaxPoints = points,
            ExtraTags = tags,
            // Written straight to the server, the baseline carries the catalog tags the hub would add itself.
            CatalogTags = tags == DirectTag,
            Label = label,
        }, quiet ? null : Log).RunAsync(screens, _ct);

    /// <summary>Marks the baseline's own points, so that counting the hub's points in the same server leaves them out.</summary>
    private const string DirectTag = "src=direct";

    private static LoadTarget Direct(VictoriaMetrics vm) => new(vm.BaseAddress);

    private static TimeSpan SelfCpu() => Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Waits until VictoriaMetrics holds <paramref name="expected"/> of the hub's points; the time it took, or null at the timeout.</summary>
    /// <remarks>VictoriaMetrics is another process and offers no signal for "sample visible"; the count is polled every 200 ms.</remarks>
    private Task<TimeSpan?> DrainAsync(VictoriaMetrics vm, long expected, TimeSpan timeout) => DrainOf(vm, _o.HubSelector, expected, timeout);

    private async Task<Capabilities> ProbeAsync(HubProcess hub, VictoriaMetrics vm)
    {
        if (_caps is not null) return _caps;
        var lp = await Push(hub.Target, Protocol.LineProtocol, 10, 1, null, TimeSpan.FromSeconds(30), "probe line protocol", points: 10, quiet: true);
        var lpOk = lp.PointsAcked == 10;
        var json = await Push(hub.Target, Protocol.Json, 500, 2, null, TimeSpan.FromSeconds(30), "probe writer", points: 1000, quiet: true);
        if (json.PointsAcked != 1000) throw new InvalidOperationException($"The hub did not take JSON telemetry: {json.FirstError}");
        var expected = json.PointsAcked + lp.PointsAcked;
        var drained = await DrainAsync(vm, expected, TimeSpan.FromSeconds(20));
        var held = await vm.CountAsync(_o.HubSelector, _ct);
        var writerWhy = drained is not null ? null
            : held == 0 ? $"the hub wrote nothing to VictoriaMetrics within 20 s; {NotAtThisCommit}, or the writer's settings differ from --hub-tsdb-args"
            : $"VictoriaMetrics held {held} of {expected} acknowledged points after 20 s";
        var lpWhy = lp.FirstError?.Trim() is { } e && e.StartsWith("404", StringComparison.Ordinal)
            ? $"{NotAtThisCommit}: POST /api/v2/write answers 404"
            : $"the hub refused the probe line: {lp.FirstError?.Trim()}";
        _caps = new Capabilities(lpOk, lpOk ? null : lpWhy, drained is not null, writerWhy);
        Log($"capabilities: line protocol {(lpOk ? "yes" : "no: " + lpWhy)}; writer to VictoriaMetrics {(drained is not null ? $"yes (drained in {drained.Value.TotalSeconds:F1} s)" : "no: " + writerWhy)}");
        _results.Note($"line protocol endpoint: {(lpOk ? "available" : _caps.LineProtocolWhy)}");
        _results.Note($"time-series writer to VictoriaMetrics: {(drained is not null ? "available" : writerWhy)}");
        return _caps;
    }

    private static string AtLeast(double target, IReadOnlyList<double> values, Unit unit)
    {
        var median = Results.Stats(values).Median;
        if (!double.IsFinite(median)) return "n/a";
        return median >= target ? "met" : $"**missed** by {Results.Format(target - median, unit)} ({(target - median) / target:P0})";
    }

    private static string AtMost(double target, IReadOnlyList<double> values, Unit unit)
    {
        var median = Results.Stats(values).Median;
        if (!double.IsFinite(median)) return "n/a";
        return median <= target ? "met" : $"**missed** by {Results.Format(median - target, unit)} ({(median - target) / target:P0})";
    }

    private static string Key(Protocol p) => p == Protocol.Json ? "JSON" : "line protocol";

    // ---------------------------------------------------------------- 1. maximum sustained ingest

    private static string Name(BatchShape shape) => shape == BatchShape.Spread ? "spread" : "unit-major";

    private async Task Ingest()
    {
        var batches = new[] { 500, 10 };
        // unit-major: each unit's metrics together; spread: every point of a request from another unit (issue 14).
        var shapes = new[] { BatchShape.UnitMajor, BatchShape.Spread };
        var direct = new Dictionary<(BatchShape, int), List<double>>();
        var acked = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var stored = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var ratios = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var cpu = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var cpuPerMillion = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var selfCpu = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        // What the other two processes on the machine spend on each point the hub acknowledges: they share its cores.
        var vmCpu = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var vmPerMillion = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var selfPerMillion = new Dictionary<(BatchShape, Protocol, int), List<double>>();
        var peak = new List<double>();
        var vmPeak = new List<double>();
        var undrained = new List<string>();
        Capabilities caps = null!;
        for (var run = 1; run <= _o.Runs; run++)
        {
            await using var vm = await SuiteServers.VictoriaMetrics(_o, $"s1-vm-{run}", _ct);
            await using var hub = await SuiteServers.Hub(_o, $"s1-hub-{run}", _catalog, vm, _ct);
            caps = await ProbeAsync(hub, vm);
            var hubAcked = await vm.CountAsync(_o.HubSelector, _ct);
            var protocols = caps.LineProtocol ? new[] { Protocol.Json, Protocol.LineProtocol } : [Protocol.Json];
            // Warm-up, not counted: connection pools, grain activations and the JIT, which on a fresh hub
            // spends a seventh of its CPU recompiling hot code for the first half minute under load. The
            // scenario measures sustained ingest, so every path it measures runs first, on both sides.
            var warm = TimeSpan.FromSeconds(_o.Quick ? 1 : 5);
            foreach (var shape in shapes)
                foreach (var b in batches)
                {
                    await Push(Direct(vm), Protocol.LineProtocol, b, _o.Concurrency, null, warm, "warm-up direct", tags: DirectTag, quiet: true, shape: shape);
                    foreach (var p in protocols)
                        hubAcked += (await Push(hub.Target, p, b, _o.Concurrency, null, warm, "warm-up hub", quiet: true, shape: shape)).PointsAcked;
                }
            if (caps.Writer) await DrainAsync(vm, hubAcked, TimeSpan.FromSeconds(120));

            // The two shapes of one B side by side, their order swapped from one repetition to the next: what the machine
            // carries over from one run to the next (the server's merges of what it just took, the hub's buffer files) then
            // weighs on each shape in turn, and each repetition's spread run has its unit-major run next to it.
            foreach (var b in batches)
                foreach (var shape in run % 2 == 1 ? shapes : [.. Enumerable.Reverse(shapes)])
                {
                    var d = await Push(Direct(vm), Protocol.LineProtocol, b, _o.Concurrency, null, _o.IngestDuration, $"run {run} direct {Name(shape)} B={b}", tags: DirectTag, shape: shape);
                    Add(direct, (shape, b), d.AckedPerSecond);
                    foreach (var p in protocols)
                    {
                        var key = (shape, p, b);
                        var cpuBefore = hub.Process.CpuTime();
                        var selfBefore = SelfCpu();
                        var vmBefore = vm.Process!.CpuTime();
                        var r = await Push(hub.Target, p, b, _o.Concurrency, null, _o.IngestDuration, $"run {run} hub {Key(p)} {Name(shape)} B={b}", shape: shape);
                        var cpuUsed = hub.Process.CpuTime() - cpuBefore;
                        var selfUsed = SelfCpu() - selfBefore;
                        var vmUsed = vm.Process!.CpuTime() - vmBefore;
                        Add(selfCpu, key, selfUsed / r.Elapsed * 100);
                        Add(vmCpu, key, vmUsed / r.Elapsed * 100);
                        hubAcked += r.PointsAcked;
                        Add(acked, key, r.AckedPerSecond);
                        Add(ratios, key, r.AckedPerSecond / d.AckedPerSecond);
                        Add(cpu, key, cpuUsed / r.Elapsed * 100);
                        // The run's CPU only: the drain afterwards is the writer's, and the rate into the store shows it.
                        if (r.PointsAcked > 0)
                        {
                            Add(cpuPerMillion, key, cpuUsed.TotalSeconds / (r.PointsAcked / 1e6));
                            Add(vmPerMillion, key, vmUsed.TotalSeconds / (r.PointsAcked / 1e6));
                            Add(selfPerMillion, key, selfUsed.TotalSeconds / (r.PointsAcked / 1e6));
                        }
                        if (r.PointsFailed > 0) _results.Note($"run {run} hub {Key(p)} {Name(shape)} B={b}: {r.PointsFailed:N0} points failed: {r.FirstError}");
                        if (caps.Writer)
                        {
                            var drain = await DrainAsync(vm, hubAcked, TimeSpan.FromSeconds(_o.Quick ? 60 : 300));
                            if (drain is { } t)
                                Add(stored, key, r.PointsAcked / (r.Elapsed + t).TotalSeconds);
                            else
                                undrained.Add($"run {run} {Key(p)} {Name(shape)} B={b}");
                        }
                    }
                }
            peak.Add(hub.Process.PeakRssMiB());
            vmPeak.Add(vm.Process!.PeakRssMiB());
        }

        foreach (var shape in shapes)
            foreach (var b in batches)
            {
                var at = $"{Name(shape)}, B={b}";
                _results.Add(new Row("1", $"direct VictoriaMetrics ingest, line protocol, {at}", Unit.PointsPerSecond, direct[(shape, b)], Note: "the baseline itself"));
                foreach (var p in new[] { Protocol.Json, Protocol.LineProtocol })
                {
                    var key = (shape, p, b);
                    if (!acked.TryGetValue(key, out var a))
                    {
                        _results.Add(Row.NotAvailable("1", $"hub ingest, {Key(p)}, {at}", caps.LineProtocolWhy ?? NotAtThisCommit));
                        continue;
                    }
                    _results.Add(new Row("1", $"hub acknowledged, {Key(p)}, {at}, C={_o.Concurrency}", Unit.PointsPerSecond, a,
                        "VictoriaMetrics direct, same shape, B and C", direct[(shape, b)],
                        Note: $"CPU, as % of one core: hub {Results.Median(cpu[key], Unit.Percent)}, VictoriaMetrics {Results.Median(vmCpu[key], Unit.Percent)}, load generator {Results.Median(selfCpu[key], Unit.Percent)}"));
                    _results.Add(new Row("1", $"ratio hub/direct, {Key(p)}, {at}", Unit.Ratio, ratios[key],
                        Target: "≥ 0.30", Verdict: AtLeast(0.30, ratios[key], Unit.Ratio),
                        Note: caps.Writer ? "acknowledged rate" : "acknowledged rate; the hub kept the points only in its grains (no time-series writer at this commit)"));
                    if (cpuPerMillion.TryGetValue(key, out var perMillion))
                    {
                        _results.Add(new Row("1", $"hub CPU per million points acknowledged, {Key(p)}, {at}", Unit.Seconds, perMillion, Note: "CPU seconds (user + system) during the run"));
                        _results.Add(new Row("1", $"VictoriaMetrics and load generator CPU per million points the hub acknowledged, {Key(p)}, {at}", Unit.Seconds,
                            [.. vmPerMillion[key].Zip(selfPerMillion[key], (v, l) => v + l)],
                            Note: $"VictoriaMetrics {Results.Median(vmPerMillion[key], Unit.Seconds)} s (storing what the hub sent), load generator {Results.Median(selfPerMillion[key], Unit.Seconds)} s; they share the hub's two cores"));
                    }
                    if (shape == BatchShape.Spread && acked.TryGetValue((BatchShape.UnitMajor, p, b), out var unitMajor))
                    {
                        List<double> spreadRatio = [.. a.Zip(unitMajor, (spread, major) => spread / major)];
                        _results.Add(new Row("1", $"ratio spread/unit-major, {Key(p)}, B={b}", Unit.Ratio, spreadRatio,
                            Target: "≥ 0.8", Verdict: AtLeast(0.8, spreadRatio, Unit.Ratio), Note: "acknowledged rate, each repetition's spread run over its unit-major run"));
                        if (cpuPerMillion.TryGetValue(key, out var spreadCpu) && cpuPerMillion.TryGetValue((BatchShape.UnitMajor, p, b), out var majorCpu))
                            AddCeiling(p, b, spreadCpu, majorCpu, vmPerMillion, selfPerMillion);
                    }
                    if (caps.Writer && stored.TryGetValue(key, out var s))
                        _results.Add(new Row("1", $"hub into VictoriaMetrics (acknowledged ÷ (run + drain)), {Key(p)}, {at}", Unit.PointsPerSecond, s,
                            "VictoriaMetrics direct", direct[(shape, b)], Target: "≥ 0.30 × direct",
                            Verdict: AtLeast(0.30, [.. s.Select(x => x / Results.Stats(direct[(shape, b)]).Median)], Unit.Ratio)));
                    else
                        _results.Add(Row.NotAvailable("1", $"hub into VictoriaMetrics, {Key(p)}, {at}", caps.WriterWhy ?? "not drained in time"));
                }
            }
        _results.Add(new Row("3", "peak RSS of the hub during scenario 1", Unit.MiB, peak, "VictoriaMetrics peak RSS, same runs", vmPeak, Target: "≤ 500 MiB",
            Verdict: AtMost(500, peak, Unit.MiB), Note: "VmHWM"));
        if (undrained.Count > 0) _results.Note("not drained within the timeout: " + string.Join(", ", undrained));
    }

    /// <summary>
    /// What the spread shape's ratio is made of, when every process on the machine is busy: the rate of a shape is the
    /// cores over what a point costs the hub, VictoriaMetrics and the load generator together. So two rows: the hub's own
    /// cost of a unit-major point over a spread one, and the ceiling, the ratio the hub would reach if its spread point
    /// cost what its unit-major point costs while the other two cost what they did in this run.
    /// </summary>
    private void AddCeiling(Protocol p, int b, List<double> spreadCpu, List<double> majorCpu,
        Dictionary<(BatchShape, Protocol, int), List<double>> vmPerMillion, Dictionary<(BatchShape, Protocol, int), List<double>> selfPerMillion)
    {
        double Median(List<double> values) => Results.Stats(values).Median;
        var spread = (BatchShape.Spread, p, b);
        var major = (BatchShape.UnitMajor, p, b);
        var hubMajor = Median(majorCpu);
        var others = Median(vmPerMillion[major]) + Median(selfPerMillion[major]);
        _results.Add(new Row("1", $"hub CPU per point, unit-major/spread, {Key(p)}, B={b}", Unit.Ratio, [.. spreadCpu.Select(x => hubMajor / x)],
            Note: "the hub's own cost of a point in each shape; each run over the unit-major median"));
        _results.Add(new Row("1", $"ceiling of spread/unit-major on this machine, {Key(p)}, B={b}", Unit.Ratio,
            [.. vmPerMillion[spread].Zip(selfPerMillion[spread], (v, l) => (hubMajor + others) / (hubMajor + v + l))],
            Note: "the ratio if the hub's spread point cost what its unit-major point costs: (hub + VictoriaMetrics + load generator, unit-major) ÷ (hub unit-major + VictoriaMetrics + load generator, spread), CPU per point"));
    }

    private static void Add<TKey>(Dictionary<TKey, List<double>> map, TKey key, double value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    // ---------------------------------------------------------------- 2. steady load, latency

    private async Task Steady()
    {
        foreach (var k in _o.Screens)
        {
            await using var vm = await SuiteServers.VictoriaMetrics(_o, $"s2-vm-k{k}", _ct);
            await using var hub = await SuiteServers.Hub(_o, $"s2-hub-k{k}", _catalog, vm, _ct);
            var bearer = await hub.Target.DevBearerAsync("operator", _ct);
            var connectClock = Stopwatch.StartNew();
            await using var screens = await ScreenPool.ConnectAsync(hub.Target, bearer, _series, k, 4, true, Log, _ct, parallel: 16);
            Log($"K={k}: connected and subscribed in {connectClock.Elapsed.TotalSeconds:F1} s");
            var baseRate = (double)_series.Count;
            await Push(hub.Target, Protocol.Json, _o.SteadyBatch, _o.SteadyConcurrency, baseRate, TimeSpan.FromSeconds(_o.Quick ? 2 : 5), "warm-up", screens, quiet: true);
            foreach (var multiple in new[] { 1, 10 })
            {
                var rate = baseRate * multiple;
                var p50 = new List<double>(); var p95 = new List<double>(); var p99 = new List<double>();
                var roll99 = new List<double>(); var ack50 = new List<double>(); var ack99 = new List<double>();
                var achieved = new List<double>(); var cpu = new List<double>(); var selfCpu = new List<double>(); var incomplete = 0;
                for (var run = 1; run <= _o.Runs; run++)
                {
                    var cpuBefore = hub.Process.CpuTime();
                    var selfBefore = SelfCpu();
                    var r = await Push(hub.Target, Protocol.Json, _o.SteadyBatch, _o.SteadyConcurrency, rate, _o.SteadyDuration,
                        $"K={k} {rate:N0}/s run {run}", screens);
                    cpu.Add((hub.Process.CpuTime() - cpuBefore) / r.Elapsed * 100);
                    selfCpu.Add((SelfCpu() - selfBefore) / r.Elapsed * 100);
                    var s = r.Screens!;
                    p50.Add(s.Unit.P50); p95.Add(s.Unit.P95); p99.Add(s.Unit.P99); roll99.Add(s.Rollup.P99);
                    ack50.Add(r.RequestLatency.P50); ack99.Add(r.RequestLatency.P99);
                    achieved.Add(r.AckedPerSecond);
                    incomplete += s.Connected - s.Complete;
                }
                var load = $"K={k:N0}, {rate:N0} points/s";
                var note = $"achieved {Results.Median(achieved, Unit.PointsPerSecond)} points/s; CPU, as % of one core: hub {Results.Median(cpu, Unit.Percent)}, load generator and screens {Results.Median(selfCpu, Unit.Percent)}"
                    + (incomplete > 0 ? $"; {incomplete} screen-runs did not see every last value in time" : "");
                var p99Target = k <= 1 ? 50.0 : k >= 1000 ? 250.0 : double.NaN;
                _results.Add(new Row("2", $"ingest-to-screen p50, {load}", Unit.Milliseconds, p50, "request round trip p50", ack50));
                _results.Add(new Row("2", $"ingest-to-screen p95, {load}", Unit.Milliseconds, p95));
                _results.Add(new Row("2", $"ingest-to-screen p99, {load}", Unit.Milliseconds, p99, "request round trip p99", ack99,
                    Target: double.IsFinite(p99Target) ? $"≤ {p99Target:N0} ms" : "",
                    Verdict: double.IsFinite(p99Target) ? AtMost(p99Target, p99, Unit.Milliseconds) : "", Note: note));
                _results.Add(new Row("2", $"locality roll-up p99, {load}", Unit.Milliseconds, roll99));
            }
        }
    }

    // ---------------------------------------------------------------- 7. one frozen screen (issue 5)

    /// <summary>
    /// K screens at the base rate, each run measured twice on the same hub: as they are, and with one more
    /// screen that subscribes to every unit and locality and then never reads. Its p99 beside theirs shows
    /// whether a frozen screen delays anyone else; the hub must also cut it off.
    /// </summary>
    private async Task FrozenScreenAmongMany()
    {
        var k = _o.FrozenAmong;
        await using var vm = await SuiteServers.VictoriaMetrics(_o, "s7-vm", _ct);
        await using var hub = await SuiteServers.Hub(_o, "s7-hub", _catalog, vm, _ct);
        var bearer = await hub.Target.DevBearerAsync("operator", _ct);
        await using var screens = await ScreenPool.ConnectAsync(hub.Target, bearer, _series, k, 4, true, Log, _ct, parallel: 16);
        var rate = (double)_series.Count;
        await Push(hub.Target, Protocol.Json, _o.SteadyBatch, _o.SteadyConcurrency, rate, TimeSpan.FromSeconds(_o.Quick ? 2 : 5), "warm-up", screens, quiet: true);
        var without = new List<double>(); var with = new List<double>(); var cutOff = 0;
        var everything = _series.Units.Select(u => u.Id).Concat(_series.Localities).ToArray();
        for (var run = 1; run <= _o.Runs; run++)
        {
            var alone = await Push(hub.Target, Protocol.Json, _o.SteadyBatch, _o.SteadyConcurrency, rate, _o.SteadyDuration, $"K={k} run {run}", screens);
            without.Add(alone.Screens!.Unit.P99);
            await using var frozen = await FrozenScreen.Connect(hub.BaseAddress, bearer, everything, _ct);
            var beside = await Push(hub.Target, Protocol.Json, _o.SteadyBatch, _o.SteadyConcurrency, rate, _o.SteadyDuration, $"K={k} + 1 frozen run {run}", screens);
            with.Add(beside.Screens!.Unit.P99);
            if (await frozen.WasCutOffAsync(TimeSpan.FromSeconds(10))) cutOff++;
        }
        _results.Add(new Row("7", $"ingest-to-screen p99 of K={k:N0} screens, with one frozen screen beside them, {rate:N0} points/s", Unit.Milliseconds, with,
            $"the same {k:N0} screens, no frozen screen (same hub, alternate runs)", without,
            Note: $"the frozen screen watched {everything.Length:N0} entities and never read; the hub cut it off in {cutOff} of {_o.Runs} runs"));
    }

    // ---------------------------------------------------------------- 3. memory

    private async Task Memory()
    {
        if (!File.Exists(_memoryCatalog))
        {
            var clock = Stopwatch.StartNew();
            BenchCatalog.Write(_memoryCatalog, _o.Units + _o.MemoryUnits, _o.Metrics);
            Log($"wrote the {_o.Units + _o.MemoryUnits:N0}-unit catalog in {clock.Elapsed.TotalSeconds:F1} s (including a validating load)");
        }
        var big = SeriesSpace.FromCatalog(_memoryCatalog, _o.Units + _o.MemoryUnits, _o.Metrics);
        var perUnits = new List<double>(); var small = new List<double>(); var perConnections = new List<double>(); var idle = new List<double>();
        for (var run = 1; run <= Math.Min(_o.Runs, 3); run++)
        {
            var baseline = await SettledRss($"s3-hub-{_o.Units}-{run}", _catalog, _series);
            var loaded = await SettledRss($"s3-hub-{_o.Units + _o.MemoryUnits}-{run}", _memoryCatalog, big);
            small.Add(baseline);
            perUnits.Add((loaded - baseline) * 10_000 / _o.MemoryUnits);

            await using var hub = await SuiteServers.Hub(_o, $"s3-hub-screens-{run}", _catalog, null, _ct);
            await Push(hub.Target, Protocol.Json, 500, 4, null, TimeSpan.FromMinutes(1), "fill", points: _series.Count, quiet: true);
            await Task.Delay(TimeSpan.FromSeconds(3), _ct);
            var before = hub.Process.RssMiB();
            var bearer = await hub.Target.DevBearerAsync("operator", _ct);
            await using (var screens = await ScreenPool.ConnectAsync(hub.Target, bearer, _series, 1000, 4, true, Log, _ct, parallel: 16))
            {
                // Settling time for buffers and the GC, not a stand-in for a signal: RSS has none.
                await Task.Delay(TimeSpan.FromSeconds(3), _ct);
                perConnections.Add(hub.Process.RssMiB() - before);
            }
            idle.Add(before);
        }
        _results.Add(new Row("3", $"RSS per 10,000 active units (hub with {_o.Units + _o.MemoryUnits:N0} units − with {_o.Units:N0}, every unit holding {_o.Metrics} values)", Unit.MiB, perUnits,
            $"whole hub RSS with {_o.Units:N0} units", small, Note: "includes the catalog entries and roll-up state, not just grains"));
        _results.Add(new Row("3", "RSS per 1,000 connections (each watching 4 units and a locality)", Unit.MiB, perConnections,
            "hub RSS before connecting", idle));
    }

    /// <summary>Starts a hub, gives every unit one value of each metric, and reads its RSS once it has settled.</summary>
    private async Task<double> SettledRss(string name, string catalog, SeriesSpace series)
    {
        await using var hub = await SuiteServers.Hub(_o, name, catalog, null, _ct);
        await new LoadGenerator(hub.Target, series, new LoadOptions { BatchSize = 500, Concurrency = 4, MaxPoints = series.Count, Duration = TimeSpan.FromMinutes(5), Label = "fill" })
            .RunAsync(null, _ct);
        await Task.Delay(TimeSpan.FromSeconds(3), _ct);
        var rss = hub.Process.RssMiB();
        Log($"{name}: RSS {rss:F1} MiB, started in {hub.StartTime.TotalSeconds:F1} s");
        return rss;
    }

    // ---------------------------------------------------------------- 4. history

    private async Task History()
    {
        var to = DateTimeOffset.UtcNow;
        to = new DateTimeOffset(to.Year, to.Month, to.Day, to.Hour, to.Minute, 0, TimeSpan.Zero);
        var from = to.AddHours(-24);
        var units = _series.Units.Take(10).ToArray();
        var metric = units[0].Metrics[0];
        var spacing = TimeSpan.FromSeconds(10);
        var points = new List<OutgoingPoint>();
        foreach (var u in units)
            for (var t = from; t < to; t += spacing)
                points.Add(new OutgoingPoint(u.Id, metric, Math.Round(50 + 40 * Math.Sin(t.ToUnixTimeSeconds() / 3600.0), 2), t.ToUnixTimeMilliseconds()));

        // Baseline: VictoriaMetrics' own query_range over the same points, written to it directly.
        await using var direct = await SuiteServers.VictoriaMetrics(_o, "s4-vm-direct", _ct);
        await Backfill(Direct(direct), Protocol.LineProtocol, points);
        var directCount = await direct.CountAsync("{unit=~\"bench-.+\"}", _ct);
        var name = (await direct.NamesOfAsync(units[0].Id, _ct)).First(n => n.EndsWith(metric, StringComparison.Ordinal));
        var baseline = new Histogram();
        for (var i = 0; i < _o.HistoryQueries; i++)
        {
            var unit = units[i % units.Length].Id;
            var clock = Stopwatch.StartNew();
            await direct.QueryRangeAsync($"avg_over_time({{__name__=\"{name}\",unit=\"{unit}\"}}[1m])", from, to, TimeSpan.FromMinutes(1), _ct);
            baseline.Record(clock.Elapsed);
        }
        var b = baseline.Snapshot();
        Log($"direct VictoriaMetrics: {directCount:N0} points; query_range p50 {b.P50:F1} ms p99 {b.P99:F1} ms");

        foreach (var backEnd in new[] { "embedded store", "VictoriaMetrics" })
        {
            await using var vm = backEnd == "VictoriaMetrics" ? await SuiteServers.VictoriaMetrics(_o, "s4-vm-hub", _ct) : null;
            await using var hub = await SuiteServers.Hub(_o, backEnd == "VictoriaMetrics" ? "s4-hub-vm" : "s4-hub-embedded", _catalog, vm, _ct);
            var supervisor = await hub.Target.DevBearerAsync("supervisor", _ct);
            using var client = hub.Target.CreateClient(1);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", supervisor);
            var (format, why) = await FindHistoryFormat(client, units[0].Id, metric, from, to);
            if (format is null)
            {
                _results.Add(Row.NotAvailable("4", $"history 24 h at 1 min, {backEnd}", why!));
                continue;
            }
            await Backfill(hub.Target, Protocol.Json, points);
            if (vm is not null)
            {
                if (await DrainAsync(vm, points.Count, TimeSpan.FromSeconds(120)) is null)
                {
                    _results.Add(Row.NotAvailable("4", $"history 24 h at 1 min, {backEnd}", "the hub's points did not reach VictoriaMetrics; " + NotAtThisCommit));
                    continue;
                }
            }
            else
            {
                // The embedded store has no outside view to wait on; give it time to flush.
                await Task.Delay(TimeSpan.FromSeconds(5), _ct);
            }
            var latency = new Histogram();
            long bytes = 0;
            for (var i = 0; i < _o.HistoryQueries; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await client.GetAsync(format(units[i % units.Length].Id), _ct);
                var body = await response.Content.ReadAsByteArrayAsync(_ct);
                latency.Record(clock.Elapsed);
                bytes += body.Length;
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"history query answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
            }
            var h = latency.Snapshot();
            _results.Add(new Row("4", $"history p50, 24 h at 1 min, {backEnd}", Unit.Milliseconds, [h.P50], "VictoriaMetrics query_range p50", [b.P50],
                Note: $"{_o.HistoryQueries} sequential queries over {units.Length} units; {bytes / Math.Max(1, _o.HistoryQueries):N0} bytes per answer"));
            _results.Add(new Row("4", $"history p99, 24 h at 1 min, {backEnd}", Unit.Milliseconds, [h.P99], "VictoriaMetrics query_range p99", [b.P99]));
        }
    }

    /// <summary>Finds which spelling of <c>step</c> the history endpoint takes, or why it cannot be used.</summary>
    private async Task<(Func<string, string>? Format, string? Why)> FindHistoryFormat(HttpClient client, string unit, string metric, DateTimeOffset from, DateTimeOffset to)
    {
        string? first = null;
        foreach (var step in new[] { "1m", "60s", "00:01:00", "PT1M", "60" })
        {
            string Url(string u) => $"/api/v1/entities/{u}/metrics/{metric}/history?from={Uri.EscapeDataString(from.ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}&step={step}&agg=avg";
            using var response = await client.GetAsync(Url(unit), _ct);
            if (response.StatusCode == HttpStatusCode.OK) return (Url, null);
            var body = await response.Content.ReadAsStringAsync(_ct);
            first ??= response.StatusCode == HttpStatusCode.NotFound && body.Length == 0
                ? $"{NotAtThisCommit}: GET …/history answers 404"
                : $"GET …/history answered {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] : body)}";
            if (response.StatusCode == HttpStatusCode.NotFound) break;
        }
        return (null, first);
    }

    private async Task Backfill(LoadTarget target, Protocol protocol, List<OutgoingPoint> points)
    {
        using var client = target.CreateClient(4);
        var body = new ArrayBufferWriter<byte>();
        foreach (var chunk in points.Chunk(500))
        {
            body.ResetWrittenCount();
            if (protocol == Protocol.Json) PointWriter.WriteJson(body, chunk);
            else PointWriter.WriteLineProtocol(body, chunk, "telemetry", null);
            using var request = new HttpRequestMessage(HttpMethod.Post, PointWriter.PathOf(protocol)) { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", "dev-token-hung-yen-ioc");
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(PointWriter.ContentTypeOf(protocol));
            using var response = await client.SendAsync(request, _ct);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"backfill answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(_ct)}");
        }
    }

    // ---------------------------------------------------------------- 5. outage

    private sealed record OutageResult(long Acked, long Lost, long Refused, TimeSpan? Drain);

    private async Task Outage()
    {
        var hubRuns = new List<OutageResult>();
        var directRuns = new List<OutageResult>();
        Capabilities caps = null!;
        for (var run = 1; run <= Math.Min(_o.Runs, 3); run++)
        {
            await using var vm = await SuiteServers.VictoriaMetrics(_o, $"s5-vm-{run}", _ct);
            await using var hub = await SuiteServers.Hub(_o, $"s5-hub-{run}", _catalog, vm, _ct);
            caps = await ProbeAsync(hub, vm);
            // Baseline: the same steady load written straight to VictoriaMetrics through the same outage.
            // What it does not take during the outage is refused, never acknowledged: an agent would have to keep it.
            directRuns.Add(await OutageRun(vm, Direct(vm), Protocol.LineProtocol, "{unit=~\"bench-.+\",src=\"direct\"}", DirectTag, $"outage run {run} direct"));
            if (caps.Writer)
                hubRuns.Add(await OutageRun(vm, hub.Target, Protocol.Json, _o.HubSelector, null, $"outage run {run} hub"));
        }
        var baseLost = directRuns.Select(r => (double)r.Lost).ToList();
        var baseRefused = directRuns.Select(r => (double)r.Refused).ToList();
        if (!caps.Writer)
        {
            _results.Add(Row.NotAvailable("5", "points acknowledged but lost in a 10 s outage", caps.WriterWhy!));
            _results.Add(Row.NotAvailable("5", "time to drain after the outage", caps.WriterWhy!));
            _results.Add(new Row("5", "baseline alone: points refused when written straight to VictoriaMetrics through the outage", Unit.Points, baseRefused,
                Note: $"lost after acknowledgement: {Results.Median(baseLost, Unit.Points)}; {_series.Count:N0} points/s steady load"));
            return;
        }
        var lost = hubRuns.Select(r => (double)r.Lost).ToList();
        _results.Add(new Row("5", "points acknowledged but lost in a 10 s outage", Unit.Points, lost, "written straight to VictoriaMetrics", baseLost,
            Target: "0", Verdict: lost.All(l => l == 0) ? "met" : $"**missed**: {Results.Format(lost.Max(), Unit.Points)} lost",
            Note: $"points acknowledged per run: {Results.Median([.. hubRuns.Select(r => (double)r.Acked)], Unit.Points)}"));
        _results.Add(new Row("5", "points refused (503/429/errors) during the outage", Unit.Points, [.. hubRuns.Select(r => (double)r.Refused)],
            "written straight to VictoriaMetrics", baseRefused, Note: "refused points were never acknowledged; a sender keeps and resends them"));
        var drains = hubRuns.Where(r => r.Drain is not null).Select(r => r.Drain!.Value.TotalSeconds).ToList();
        if (drains.Count > 0)
            _results.Add(new Row("5", "time to drain (restart → every point acknowledged until then is in VictoriaMetrics)", Unit.Seconds, drains,
                Note: $"{_series.Count:N0} points/s steady load continued throughout" + (drains.Count < hubRuns.Count ? $"; {hubRuns.Count - drains.Count} runs did not drain in time" : "")));
        else
            _results.Add(Row.NotAvailable("5", "time to drain after the outage", "not drained within the timeout"));
    }

    /// <summary>Steady load; VictoriaMetrics stops for the outage and comes back; then count what it holds against what was acknowledged.</summary>
    private async Task<OutageResult> OutageRun(VictoriaMetrics vm, LoadTarget target, Protocol protocol, string selector, string? tags, string label)
    {
        var warm = TimeSpan.FromSeconds(_o.Quick ? 3 : 5);
        var after = TimeSpan.FromSeconds(_o.Quick ? 5 : 10);
        var timeout = TimeSpan.FromSeconds(_o.Quick ? 90 : 300);
        var before = await vm.CountAsync(selector, _ct);
        var generator = new LoadGenerator(target, _series, new LoadOptions
        {
            Protocol = protocol, BatchSize = _o.SteadyBatch, Concurrency = _o.SteadyConcurrency, Rate = _series.Count,
            Duration = warm + _o.Outage + after, ExtraTags = tags, CatalogTags = tags == DirectTag, Label = label,
        }, Log);
        var load = generator.RunAsync(null, _ct);
        // The outage is timed against the clock, as an operator's would be; there is nothing to signal.
        await Task.Delay(warm, _ct);
        await vm.Stop();
        Log($"{label}: VictoriaMetrics stopped; {generator.PointsAcked:N0} points acknowledged so far");
        await Task.Delay(_o.Outage, _ct);
        await vm.Start(_ct);
        var atRestart = generator.PointsAcked;
        Log($"{label}: VictoriaMetrics restarted; {atRestart:N0} points acknowledged so far");
        var drained = await DrainOf(vm, selector, before + atRestart, timeout);
        var report = await load;
        await DrainOf(vm, selector, before + report.PointsAcked, timeout);
        var held = await vm.CountAsync(selector, _ct) - before;
        if (held < report.PointsAcked)
            _results.Note($"{label}: VictoriaMetrics held {held:N0} of {report.PointsAcked:N0} acknowledged points after waiting {timeout.TotalSeconds:N0} s");
        return new OutageResult(report.PointsAcked, Math.Max(0, report.PointsAcked - held), report.PointsShed + report.PointsFailed, drained);
    }

    private async Task<TimeSpan?> DrainOf(VictoriaMetrics vm, string selector, long expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await vm.CountAsync(selector, _ct) >= expected) return clock.Elapsed;
            await Task.Delay(200, _ct);
        }
        return null;
    }

    // ---------------------------------------------------------------- 6. cold start

    private async Task ColdStart()
    {
        var seeded = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_o.Hub))!, "catalog", "hung-yen.json");
        var hub = new List<double>(); var vm = new List<double>(); var big = new List<double>();
        for (var run = 1; run <= _o.Runs; run++)
        {
            await using (var h = await SuiteServers.Hub(_o, $"s6-hub-{run}", seeded, null, _ct)) hub.Add(h.StartTime.TotalSeconds);
            await using (var v = await SuiteServers.VictoriaMetrics(_o, $"s6-vm-{run}", _ct)) vm.Add(v.StartTime.TotalSeconds);
        }
        _results.Add(new Row("6", "cold start to /health/ready = 200, seeded catalog", Unit.Seconds, hub,
            "VictoriaMetrics to /health = 200", vm, Target: "< 10 s", Verdict: AtMost(10, hub, Unit.Seconds)));
        if (File.Exists(_memoryCatalog) || _o.Only.Contains(3))
        {
            if (!File.Exists(_memoryCatalog)) BenchCatalog.Write(_memoryCatalog, _o.Units + _o.MemoryUnits, _o.Metrics);
            for (var run = 1; run <= Math.Min(_o.Runs, 3); run++)
                await using (var h = await SuiteServers.Hub(_o, $"s6-hub-big-{run}", _memoryCatalog, null, _ct)) big.Add(h.StartTime.TotalSeconds);
            _results.Add(new Row("6", $"cold start with a {_o.Units + _o.MemoryUnits:N0}-unit catalog", Unit.Seconds, big, Note: "for scale; not the target's case"));
        }
    }
}
