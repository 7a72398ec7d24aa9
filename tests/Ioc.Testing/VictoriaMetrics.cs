using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A VictoriaMetrics server of a test's own: the Debian package's binary on a free loopback port with a
/// temporary data path, started and stopped (SIGTERM, so that it flushes) by the test.
/// </summary>
public sealed class VictoriaMetrics : IAsyncDisposable
{
    /// <summary>Where the Debian package installs the server.</summary>
    public const string Binary = "/usr/bin/victoria-metrics";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly List<string> _log = [];
    private Process? _process;

    private VictoriaMetrics()
    {
        _http = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The port it listens on, the same across restarts.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Its data path, kept across restarts, deleted on dispose.</summary>
    public string DataPath { get; } = Directory.CreateTempSubdirectory("ioc-vm-").FullName;

    /// <summary>Base URL, without a trailing slash.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Whether the server is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A server on a reserved port that is not running yet; <see cref="Start"/> starts it.</summary>
    public static VictoriaMetrics Reserve()
    {
        if (!File.Exists(Binary))
        {
            // CI installs the package; there a missing binary is a failure, never a silent skip.
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
                Assert.Fail($"{Binary} is missing; CI must install the victoria-metrics package.");
            Assert.Skip($"{Binary} is not installed (apt-get install victoria-metrics).");
        }
        return new VictoriaMetrics();
    }

    /// <summary>A running server.</summary>
    public static async Task<VictoriaMetrics> Run(CancellationToken cancellationToken)
    {
        var server = Reserve();
        await server.Start(cancellationToken);
        return server;
    }

    /// <summary>Starts the server and returns once it answers.</summary>
    public async Task Start(CancellationToken cancellationToken)
    {
        if (IsRunning) return;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add($"-httpListenAddr=127.0.0.1:{Port}");
        start.ArgumentList.Add($"-storageDataPath={DataPath}");
        start.ArgumentList.Add("-retentionPeriod=7d");
        // Results right up to now, and none from the response cache, so that a read straight after a write sees it.
        start.ArgumentList.Add("-search.latencyOffset=0s");
        start.ArgumentList.Add("-search.disableCache");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (_log) _log.Add(e.Data);
            if (e.Data.Contains("starting http server at", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("VictoriaMetrics exited on start:\n" + Log));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        await listening.Task.WaitAsync(StartTimeout, cancellationToken);
        // The log line comes just before the listener binds; a few quick probes bridge the gap.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var health = await _http.GetAsync("health", cancellationToken);
                if (health.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (attempt < 100)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>Stops the server gracefully (SIGTERM) and waits for it to exit.</summary>
    public async Task Stop(CancellationToken cancellationToken)
    {
        if (_process is not { HasExited: false } process) return;
        Kill(process.Id, 15);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        process.Dispose();
        _process = null;
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

    /// <summary>What the server logged, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log.TakeLast(50)); }
    }

    /// <summary>Stops the server and deletes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stop(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            _process?.Kill();
        }
        _http.Dispose();
        Directory.Delete(DataPath, recursive: true);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
