namespace Ioc.LoadGen.Suite;

/// <summary>What the suite runs, and how long. <c>--quick</c> shortens every run to prove the tooling works; its figures are not benchmarks.</summary>
internal sealed record SuiteOptions
{
    public required bool Quick { get; init; }
    public required string Hub { get; init; }
    public required string Vm { get; init; }
    public required string Work { get; init; }
    public required string Commit { get; init; }
    public required int Runs { get; init; }
    public required int Concurrency { get; init; }
    public required IReadOnlySet<int> Only { get; init; }
    public required string? HubArgs { get; init; }
    public required string? HubTsdbArgs { get; init; }
    public required string HubSelector { get; init; }
    public required int[] Screens { get; init; }
    public required TimeSpan IngestDuration { get; init; }
    public required TimeSpan SteadyDuration { get; init; }
    public int SteadyBatch { get; init; } = 10;
    public int SteadyConcurrency { get; init; } = 64;
    public int Units { get; init; } = 1000;
    public int Metrics { get; init; } = 10;
    public int MemoryUnits { get; init; } = 10_000;
    public int FrozenAmong { get; init; } = 100;
    public TimeSpan Outage { get; init; } = TimeSpan.FromSeconds(10);
    public required int HistoryQueries { get; init; }
    public required int[] ProvinceUnits { get; init; }
    public required int ProvinceRuns { get; init; }
    public int StormScreens { get; init; } = 100;
    public required int ListRequests { get; init; }
    public required TimeSpan ProvinceLoadBound { get; init; }

    /// <summary>Scenario numbers, or their names: <c>province</c> is 8, <c>mqtt</c> is 9.</summary>
    private static IEnumerable<int> Scenarios(string? only) =>
        only is null ? [1, 2, 3, 4, 5, 6, 7, 8, 9]
        : only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s == "province" ? 8 : s == "mqtt" ? 9 : int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
                : throw new ArgumentException($"--only: '{s}' is not a scenario; use numbers 1 to 9, 'province' or 'mqtt'."));

    public static SuiteOptions From(Arguments a)
    {
        var quick = a.Flag("quick");
        var options = new SuiteOptions
        {
            Quick = quick,
            Hub = Path.GetFullPath(a.String("hub") ?? throw new ArgumentException("--hub PATH/Ioc.Silo.dll is required.")),
            Vm = a.String("vm", "/usr/bin/victoria-metrics")!,
            Work = Path.GetFullPath(a.String("work") ?? Path.Combine(Path.GetTempPath(), "ioc-bench-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture))),
            Commit = a.String("commit", "unknown")!,
            Runs = a.Int("runs", quick ? 2 : 5),
            Concurrency = a.Int("concurrency", 8),
            Only = Scenarios(a.String("only")).ToHashSet(),
            HubArgs = a.String("hub-args"),
            HubTsdbArgs = a.String("hub-tsdb-args"),
            HubSelector = a.String("hub-selector", "{unit=~\"bench-.+\",src=\"\"}")!,
            Screens = a.Ints("screens", [1, 100, 1000]),
            IngestDuration = TimeSpan.FromSeconds(a.Double("ingest-seconds") ?? (quick ? 3 : 10)),
            SteadyDuration = TimeSpan.FromSeconds(a.Double("steady-seconds") ?? (quick ? 4 : 15)),
            HistoryQueries = a.Int("history-queries", quick ? 30 : 200),
            // The quick run proves the scenario works at a size a shared machine takes in a couple of minutes.
            ProvinceUnits = a.Ints("province-units", quick ? [200, 2_000] : [1_000, 20_000]),
            ProvinceRuns = a.Int("province-runs", quick ? 1 : 3),
            StormScreens = a.Int("storm-screens", 100),
            ListRequests = a.Int("list-requests", quick ? 5 : 30),
            ProvinceLoadBound = TimeSpan.FromSeconds(a.Double("province-load-seconds") ?? 600),
            Units = a.Int("units", 1000),
            Metrics = a.Int("metrics", 10),
        };
        a.EnsureAllUsed();
        if (!File.Exists(options.Hub)) throw new ArgumentException($"No hub build at '{options.Hub}'; build Release first.");
        if (!File.Exists(options.Vm)) throw new ArgumentException($"No VictoriaMetrics at '{options.Vm}' (apt-get install victoria-metrics).");
        return options;
    }
}
