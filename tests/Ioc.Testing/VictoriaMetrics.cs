using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ioc.Testing;

/// <summary>
/// A VictoriaMetrics server of a test's or a benchmark's own: the Debian package's binary on a free loopback port
/// with its own data path, started and stopped (SIGTERM, so that it flushes) by the caller. Recent samples are
/// visible to queries at once and no answer comes from the response cache, so that a read straight after a write
/// sees it.
/// </summary>
public sealed class VictoriaMetrics : IAsyncDisposable
{
    /// <summary>Where the Debian package installs the server.</summary>
    public const string Binary = "/usr/bin/victoria-metrics";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http;
    private readonly string _binary;
    private readonly string? _logPath;
    private readonly bool _ownsData;
    private readonly IReadOnlyList<string> _flags;

    private VictoriaMetrics(string binary, string? dataPath, string? logPath, IReadOnlyList<string> flags)
    {
        _binary = binary;
        _logPath = logPath;
        _flags = flags;
        _ownsData = dataPath is null;
        DataPath = dataPath ?? Directory.CreateTempSubdirectory("ioc-vm-").FullName;
        Directory.CreateDirectory(DataPath);
        BaseAddress = new Uri(Url);
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The port it listens on, the same across restarts.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Its data path, kept across restarts; deleted on dispose when it was a temporary one.</summary>
    public string DataPath { get; }

    /// <summary>Base URL, without a trailing slash.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Base URL as a <see cref="Uri"/>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Whether the server is running.</summary>
    public bool IsRunning => Process is { HasExited: false };

    /// <summary>The running process: signals, memory, CPU; null before the first start.</summary>
    public ManagedProcess? Process { get; private set; }

    /// <summary>Time from launch to <c>/health</c> answering 200, for the last start.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>What the server logged, for failure messages.</summary>
    public string Log => Process?.Tail(50) ?? "";

    /// <summary>
    /// A server on a reserved port that is not running yet; <see cref="Start"/> starts it.
    /// </summary>
    /// <param name="retention">How long it keeps samples; older ones are refused.</param>
    /// <param name="deduplicate">Whether samples of one series with the same millisecond count once, as point identity promises.</param>
    /// <param name="dataPath">Its data path; by default a temporary one, deleted on dispose.</param>
    /// <param name="logPath">A file for its whole output; without one only its last lines are kept.</param>
    /// <param name="binary">The server binary; by default the Debian package's.</param>
    public static VictoriaMetrics Reserve(string retention = "7d", bool deduplicate = false, string? dataPath = null, string? logPath = null, string binary = Binary)
    {
        Component.Require(binary, "victoria-metrics");
        List<string> flags = [$"-retentionPeriod={retention}", "-search.latencyOffset=0s", "-search.disableCache"];
        if (deduplicate) flags.Add("-dedup.minScrapeInterval=1ms");
        return new VictoriaMetrics(binary, dataPath, logPath, flags);
    }

    /// <summary>A running server with the defaults of <see cref="Reserve"/>.</summary>
    public static async Task<VictoriaMetrics> Run(CancellationToken cancellationToken)
    {
        var server = Reserve();
        await server.Start(cancellationToken);
        return server;
    }

    /// <summary>Starts the server (again, on the same port and data) and returns once it answers.</summary>
    public async Task Start(CancellationToken cancellationToken)
    {
        if (IsRunning) return;
        if (Process is { } previous) await previous.DisposeAsync();
        var clock = Stopwatch.StartNew();
        Process = ManagedProcess.Start("VictoriaMetrics", _binary,
            [$"-httpListenAddr=127.0.0.1:{Port}", $"-storageDataPath={DataPath}", .. _flags],
            DataPath, _logPath, readyLine: "starting http server at");
        await Process.WaitUntilReadyAsync(StartTimeout, cancellationToken);
        // The log line comes just before the listener binds; a few quick probes bridge the gap.
        StartTime = await HttpReadiness.WaitFor200Async(new Uri(BaseAddress, "/health"), clock, Process, StartTimeout, cancellationToken);
    }

    /// <summary>Stops the server gracefully (SIGTERM: it flushes what it holds) and waits for it to exit.</summary>
    public async Task Stop(CancellationToken cancellationToken = default)
    {
        if (Process is not { HasExited: false } process) return;
        await process.StopAsync(TimeSpan.FromSeconds(30), ManagedProcess.SigTerm, throwOnTimeout: true).WaitAsync(cancellationToken);
    }

    /// <summary>Makes everything ingested so far visible to queries.</summary>
    public async Task ForceFlush(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("internal/force_flush", cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A raw sample as stored.</summary>
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, long TimestampMs, double Value);

    /// <summary>Every raw sample of the series matching <paramref name="selector"/>, duplicates included.</summary>
    public async Task<List<Sample>> Export(string selector, CancellationToken cancellationToken)
    {
        await ForceFlush(cancellationToken);
        // Without an end the export leaves out the last moments, which a test that has just written wants to see.
        var end = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var response = await _http.PostAsync("api/v1/export",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["match[]"] = selector, ["end"] = end }), cancellationToken);
        response.EnsureSuccessStatusCode();
        var samples = new List<Sample>();
        foreach (var line in (await response.Content.ReadAsStringAsync(cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var json = JsonDocument.Parse(line);
            var labels = json.RootElement.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            var name = labels["__name__"];
            var values = json.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToList();
            var timestamps = json.RootElement.GetProperty("timestamps").EnumerateArray().Select(v => v.GetInt64()).ToList();
            for (var i = 0; i < values.Count; i++)
                samples.Add(new Sample(name, labels, timestamps[i], values[i]));
        }
        return samples;
    }

    /// <summary>How many distinct samples match <paramref name="selector"/>, over the last three days.</summary>
    public async Task<long> CountAsync(string selector, CancellationToken cancellationToken)
    {
        try
        {
            await ForceFlush(cancellationToken);
        }
        catch (HttpRequestException)
        {
        }
        var at = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds();
        var query = Uri.EscapeDataString($"sum(count_over_time({selector}[3d]))");
        var answer = await _http.GetFromJsonAsync<JsonElement>($"api/v1/query?query={query}&time={at}", cancellationToken);
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : long.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The metric names it holds for a unit.</summary>
    public async Task<IReadOnlyList<string>> NamesOfAsync(string unit, CancellationToken cancellationToken)
    {
        var match = Uri.EscapeDataString($"{{unit=\"{unit}\"}}");
        var answer = await _http.GetFromJsonAsync<JsonElement>($"api/v1/series?match[]={match}&start=0", cancellationToken);
        return [.. answer.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("__name__").GetString()!).Distinct()];
    }

    /// <summary>Runs a range query directly and returns how many points the first series has.</summary>
    public async Task<int> QueryRangeAsync(string query, DateTimeOffset from, DateTimeOffset to, TimeSpan step, CancellationToken cancellationToken)
    {
        var url = $"api/v1/query_range?query={Uri.EscapeDataString(query)}&start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}&step={(int)step.TotalSeconds}s";
        var answer = await _http.GetFromJsonAsync<JsonElement>(url, cancellationToken);
        var result = answer.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : result[0].GetProperty("values").GetArrayLength();
    }

    /// <summary>Stops the server and deletes its data when it was a temporary one.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stop(CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Stop has killed it already.
        }
        if (Process is not null) await Process.DisposeAsync();
        _http.Dispose();
        if (_ownsData) Directory.Delete(DataPath, recursive: true);
    }
}
