namespace Ioc.LoadGen.Suite;

/// <summary>
/// The servers of a scenario, each with its own data and log under the suite's work folder: a VictoriaMetrics
/// that merges samples of one series with the same millisecond (a point written twice, a retry after a lost
/// answer, counts once, as point identity promises), and the one-command hub from its Release build.
/// </summary>
internal static class SuiteServers
{
    /// <summary>A running VictoriaMetrics named <paramref name="name"/>; its start time is measured to <c>/health</c> answering 200.</summary>
    public static async Task<VictoriaMetrics> VictoriaMetrics(SuiteOptions options, string name, CancellationToken cancellationToken)
    {
        var vm = Ioc.Testing.VictoriaMetrics.Reserve(retention: "10y", deduplicate: true,
            dataPath: Path.Combine(options.Work, name, "data"), logPath: Path.Combine(options.Work, "logs", name + ".log"), binary: options.Vm);
        try
        {
            await vm.Start(cancellationToken);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The one-command hub started from its Release build: Development environment (development unit token and
    /// /dev/token), simulator off, its own HTTP and Orleans ports, its own working directory for data, and the
    /// catalog of the scenario. Ready when <c>/health/ready</c> answers 200; stopped gracefully.
    /// </summary>
    public static async Task<HubProcess> Hub(
        SuiteOptions options, string name, string catalog, VictoriaMetrics? tsdb, CancellationToken cancellationToken, IEnumerable<string>? extraArgs = null)
    {
        var data = Path.Combine(options.Work, name);
        Directory.CreateDirectory(data);
        var bin = Path.GetDirectoryName(Path.GetFullPath(options.Hub))!;
        string Expand(string s) => s.Replace("{data}", data, StringComparison.Ordinal)
            .Replace("{url}", tsdb?.Url ?? "", StringComparison.Ordinal);
        var args = new List<string>
        {
            // Settings are read from the build folder; data lands in the scenario's own directory (the working directory).
            $"--contentRoot={bin}",
            $"--Hub:CatalogPath={Path.GetFullPath(catalog)}",
            "--Simulator:Enabled=false",
            $"--Cluster:SiloPort={FreePort.Next()}",
            $"--Cluster:GatewayPort={FreePort.Next()}",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(Split(options.HubArgs).Select(Expand));
        if (tsdb is not null) args.AddRange(Split(options.HubTsdbArgs).Select(Expand));
        args.AddRange(extraArgs ?? []);
        return await HubProcess.StartAsync(new HubStart(HubRole.Silo, "hub " + name)
        {
            Assembly = options.Hub,
            Arguments = args,
            Environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["DOTNET_ENVIRONMENT"] = "Development" },
            WorkingDirectory = data,
            LogPath = Path.Combine(options.Work, "logs", name + ".log"),
            ReadyPath = "/health/ready",
            Timeout = TimeSpan.FromSeconds(180),
            StopGracefully = true,
        }, cancellationToken);
    }

    private static IEnumerable<string> Split(string? args) =>
        string.IsNullOrWhiteSpace(args) ? [] : args.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    extension(HubProcess hub)
    {
        /// <summary>The hub as a load target; screens go straight to WebSockets, as a wall's browser does.</summary>
        public LoadTarget Target => new(hub.BaseAddress, ConfigureScreens: o =>
        {
            o.SkipNegotiation = true;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
        });
    }
}
