using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ioc.LoadGen.Suite;

/// <summary>
/// A VictoriaMetrics on a loopback port with its own data directory. Recent samples are made
/// visible to queries at once, and samples of one series with the same millisecond are merged, so
/// a point written twice (a retry after a lost answer) counts once, as point identity promises.
/// </summary>
internal sealed class VictoriaMetrics : IAsyncDisposable
{
    private readonly string _binary;
    private readonly string _data;
    private readonly string _log;
    private readonly HttpClient _http;

    private VictoriaMetrics(string binary, string data, string log, int port)
    {
        _binary = binary;
        _data = data;
        _log = log;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public ManagedProcess Process { get; private set; } = null!;

    /// <summary>Time from launch to <c>/health</c> answering 200, for the last start.</summary>
    public TimeSpan StartTime { get; private set; }

    public static async Task<VictoriaMetrics> StartAsync(string binary, string work, string name, CancellationToken cancellationToken)
    {
        var vm = new VictoriaMetrics(binary, Path.Combine(work, name, "data"), Path.Combine(work, "logs", name + ".log"), FreePort.Next());
        Directory.CreateDirectory(vm._data);
        await vm.LaunchAsync(cancellationToken);
        return vm;
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Process = ManagedProcess.Start("VictoriaMetrics", _binary,
        [
            $"-httpListenAddr=127.0.0.1:{Port}", $"-storageDataPath={_data}", "-retentionPeriod=10y",
            "-search.latencyOffset=0s", "-search.disableCache", "-dedup.minScrapeInterval=1ms", "-loggerLevel=ERROR",
        ], _data, _log);
        StartTime = await Http.WaitFor200Async(new Uri(BaseAddress, "/health"), clock, Process, TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Stops the server gracefully (it flushes what it holds), as an outage that loses nothing on the server side.</summary>
    public Task StopAsync() => Process.StopAsync(TimeSpan.FromSeconds(30), signal: 2);

    /// <summary>Starts it again on the same port and data.</summary>
    public Task RestartAsync(CancellationToken cancellationToken) => LaunchAsync(cancellationToken);

    /// <summary>How many distinct samples match <paramref name="selector"/>, over the last three days.</summary>
    public async Task<long> CountAsync(string selector, CancellationToken cancellationToken)
    {
        try
        {
            using (await _http.GetAsync("/internal/force_flush", cancellationToken)) { }
        }
        catch (HttpRequestException)
        {
        }
        var at = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds();
        var query = Uri.EscapeDataString($"sum(count_over_time({selector}[3d]))");
        var answer = await _http.GetFromJsonAsync<JsonElement>($"/api/v1/query?query={query}&time={at}", cancellationToken);
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : long.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The metric names VictoriaMetrics holds for a unit, to build the baseline's own queries.</summary>
    public async Task<IReadOnlyList<string>> NamesOfAsync(string unit, CancellationToken cancellationToken)
    {
        var match = Uri.EscapeDataString($"{{unit=\"{unit}\"}}");
        var answer = await _http.GetFromJsonAsync<JsonElement>($"/api/v1/series?match[]={match}&start=0", cancellationToken);
        return [.. answer.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("__name__").GetString()!).Distinct()];
    }

    /// <summary>Runs a range query directly, as the baseline of a history query.</summary>
    public async Task<int> QueryRangeAsync(string query, DateTimeOffset from, DateTimeOffset to, TimeSpan step, CancellationToken cancellationToken)
    {
        var url = $"/api/v1/query_range?query={Uri.EscapeDataString(query)}&start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}&step={(int)step.TotalSeconds}s";
        var answer = await _http.GetFromJsonAsync<JsonElement>(url, cancellationToken);
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : result[0].GetProperty("values").GetArrayLength();
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null) await Process.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>
/// The one-command hub started from its Release build: Development environment (development unit
/// token and /dev/token), simulator off, its own HTTP and Orleans ports, its own working directory
/// for data, and the catalog of the scenario.
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private HubProcess(ManagedProcess process, Uri baseAddress, TimeSpan startTime)
    {
        Process = process;
        BaseAddress = baseAddress;
        StartTime = startTime;
        Target = new LoadTarget(baseAddress, ConfigureScreens: o =>
        {
            o.SkipNegotiation = true;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
        });
    }

    public ManagedProcess Process { get; }

    public Uri BaseAddress { get; }

    public LoadTarget Target { get; }

    /// <summary>From launch to <c>/health/ready</c> answering 200.</summary>
    public TimeSpan StartTime { get; }

    public static async Task<HubProcess> StartAsync(
        SuiteOptions options, string name, string catalog, VictoriaMetrics? tsdb, CancellationToken cancellationToken, IEnumerable<string>? extraArgs = null)
    {
        var port = FreePort.Next();
        var data = Path.Combine(options.Work, name);
        Directory.CreateDirectory(data);
        var bin = Path.GetDirectoryName(Path.GetFullPath(options.Hub))!;
        string Expand(string s) => s.Replace("{data}", data, StringComparison.Ordinal)
            .Replace("{url}", tsdb?.BaseAddress.ToString().TrimEnd('/') ?? "", StringComparison.Ordinal);
        var args = new List<string>
        {
            options.Hub,
            // Settings are read from the build folder; data lands in the scenario's own directory (the working directory).
            $"--contentRoot={bin}",
            $"--urls=http://127.0.0.1:{port}",
            $"--Hub:CatalogPath={Path.GetFullPath(catalog)}",
            "--Simulator:Enabled=false",
            $"--Cluster:SiloPort={FreePort.Next()}",
            $"--Cluster:GatewayPort={FreePort.Next()}",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(Split(options.HubArgs).Select(Expand));
        if (tsdb is not null) args.AddRange(Split(options.HubTsdbArgs).Select(Expand));
        args.AddRange(extraArgs ?? []);
        var clock = Stopwatch.StartNew();
        var process = ManagedProcess.Start("hub " + name, "dotnet", args, data, Path.Combine(options.Work, "logs", name + ".log"),
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["DOTNET_ENVIRONMENT"] = "Development" });
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        try
        {
            var ready = await Http.WaitFor200Async(new Uri(baseAddress, "/health/ready"), clock, process, TimeSpan.FromSeconds(180), cancellationToken);
            return new HubProcess(process, baseAddress, ready);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static IEnumerable<string> Split(string? args) =>
        string.IsNullOrWhiteSpace(args) ? [] : args.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();
}
