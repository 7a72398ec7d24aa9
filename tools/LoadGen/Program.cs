using Ioc.LoadGen.Suite;
using Microsoft.AspNetCore.Http.Connections;

namespace Ioc.LoadGen;

/// <summary>
/// The hub's load generator and benchmark runner.
/// <list type="bullet">
/// <item><c>push</c> pushes load at a running hub (or a time-series server) and optionally watches it with K screens;</item>
/// <item><c>catalog</c> writes a catalog with U synthetic units for the hub to start with;</item>
/// <item><c>storm</c> connects S wall screens to a running hub at once, as scenario 8 does, for R rounds;</item>
/// <item><c>suite</c> starts VictoriaMetrics and the hub itself and runs every benchmark scenario (see BENCHMARKS.md).</item>
/// </list>
/// </summary>
public static class Program
{
    private const string Usage = """
        usage:
          Ioc.LoadGen push    --url http://127.0.0.1:5000 [--protocol json|lp|mqtt] [--mqtt-port 1883] [--units 1000] [--metrics 10]
                              [--batch 500] [--shape unit-major|spread] [--concurrency 8] [--rate POINTS_PER_S] [--seconds 10] [--points N]
                              [--screens K] [--watch-units 4] [--no-locality] [--token UNIT_TOKEN] [--bearer JWT]
                              [--catalog FILE] [--measurement telemetry] [--tags k=v] [--catalog-tags] [--gzip]
          Ioc.LoadGen catalog --out FILE --units U [--metrics 10]
          Ioc.LoadGen storm   --url http://127.0.0.1:5000 --catalog FILE [--screens 100] [--rounds 1]
          Ioc.LoadGen suite   [--quick] --hub PATH/Ioc.Silo.dll --vm /usr/bin/victoria-metrics --work DIR
                              [--commit SHA] [--runs N] [--concurrency 8] [--only 1,2,3,4,5,6,7,8,9|province|mqtt]
                              [--units 1000] [--metrics 10]
                              [--hub-args "..."] [--hub-tsdb-args "... {url} ..."]
                              [--province-units 1000,20000] [--province-runs 3] [--storm-screens 100]
                              [--list-requests 30] [--province-load-seconds 600]
        """;

    /// <summary>Runs a command.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
        try
        {
            var a = new Arguments(args.Skip(1));
            return args[0] switch
            {
                "push" => await Push(a, cancel.Token),
                "catalog" => Catalog(a),
                "storm" => await Storm(a, cancel.Token),
                "suite" => await BenchmarkSuite.RunAsync(SuiteOptions.From(a), cancel.Token),
                _ => throw new ArgumentException($"Unknown command '{args[0]}'."),
            };
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled.");
            return 130;
        }
    }

    private static int Catalog(Arguments a)
    {
        var output = a.String("out") ?? throw new ArgumentException("--out is required.");
        var units = a.Int("units", 1000);
        var metrics = a.Int("metrics", 10);
        a.EnsureAllUsed();
        BenchCatalog.Write(output, units, metrics);
        Console.WriteLine($"Wrote {units} units × {metrics} metrics to {output}");
        return 0;
    }

    /// <summary>
    /// Scenario 8's reconnect storm against a running hub, round after round, each round's screens dropped before the
    /// next: to profile the hub while screens connect, without the rest of the scenario.
    /// </summary>
    private static async Task<int> Storm(Arguments a, CancellationToken cancellationToken)
    {
        var url = new Uri(a.String("url", "http://127.0.0.1:5000")!);
        var catalog = a.String("catalog") ?? throw new ArgumentException("--catalog is required.");
        var screens = a.Int("screens", 100);
        var rounds = a.Int("rounds", 1);
        a.EnsureAllUsed();
        var target = new LoadTarget(url, ConfigureScreens: o =>
        {
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
        });
        var bearer = await target.DevBearerAsync("supervisor", cancellationToken);
        var province = Contracts.Catalog.Load(catalog).Province.Id;
        var localities = SeriesSpace.FromCatalog(catalog, int.MaxValue, int.MaxValue).Localities;
        var failed = 0;
        for (var round = 1; round <= rounds; round++)
        {
            await using var storm = new ReconnectStorm();
            var report = await storm.RunAsync(target, bearer, province, localities, screens, TimeSpan.FromMinutes(3), cancellationToken);
            failed += report.Screens - report.Completed;
            Console.WriteLine($"round {round}: {report.Completed}/{report.Screens} screens, per screen p50 {report.PerScreen.P50:F0} ms p99 {report.PerScreen.P99:F0} ms"
                + (report.FirstError is { } e ? $"; first failure: {e}" : ""));
        }
        return failed == 0 ? 0 : 1;
    }

    private static async Task<int> Push(Arguments a, CancellationToken cancellationToken)
    {
        var url = new Uri(a.String("url", "http://127.0.0.1:5000")!);
        var options = new LoadOptions
        {
            Protocol = a.String("protocol", "json") switch
            {
                "lp" or "line" or "lineprotocol" => Protocol.LineProtocol,
                "mqtt" => Protocol.Mqtt,
                _ => Protocol.Json,
            },
            MqttPort = a.Int("mqtt-port", 1883),
            BatchSize = a.Int("batch", 500),
            Shape = a.String("shape", "unit-major") == "spread" ? BatchShape.Spread : BatchShape.UnitMajor,
            Concurrency = a.Int("concurrency", 8),
            Rate = a.Double("rate"),
            Duration = TimeSpan.FromSeconds(a.Double("seconds") ?? 10),
            MaxPoints = a.Long("points"),
            UnitToken = a.String("token", "dev-token-hung-yen-ioc")!,
            Measurement = a.String("measurement", "telemetry")!,
            ExtraTags = a.String("tags"),
            Gzip = a.Flag("gzip"),
            CatalogTags = a.Flag("catalog-tags"),
        };
        var units = a.Int("units", 1000);
        var metrics = a.Int("metrics", 10);
        var screens = a.Int("screens", 0);
        var watchUnits = a.Int("watch-units", 4);
        var watchLocality = !a.Flag("no-locality");
        var catalog = a.String("catalog");
        var bearer = a.String("bearer");
        a.EnsureAllUsed();

        var target = new LoadTarget(url, ConfigureScreens: o =>
        {
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
        });
        void Log(string line) => Console.Error.WriteLine(line);
        bearer ??= screens > 0 || catalog is null ? await target.DevBearerAsync("operator", cancellationToken) : null;
        SeriesSpace series;
        if (catalog is not null)
        {
            series = SeriesSpace.FromCatalog(catalog, units, metrics);
        }
        else
        {
            using var client = target.CreateClient(1);
            series = await SeriesSpace.FromHubAsync(client, bearer!, units, metrics, cancellationToken);
        }
        Log($"{series.Units.Count} units, {series.Count} series; B={options.BatchSize} ({options.Shape}) C={options.Concurrency} rate={(options.Rate is { } r ? $"{r:N0}/s" : "unbounded")}");
        await using var pool = screens > 0
            ? await ScreenPool.ConnectAsync(target, bearer!, series, screens, watchUnits, watchLocality, Log, cancellationToken)
            : null;
        var report = await new LoadGenerator(target, series, options, Log).RunAsync(pool, cancellationToken);
        Console.WriteLine(report);
        return report.PointsFailed == 0 ? 0 : 1;
    }
}
