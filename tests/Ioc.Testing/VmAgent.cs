using System.Diagnostics;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A <c>vmagent</c> (from the Debian <c>victoria-metrics</c> package) on a free loopback port, taking InfluxDB
/// writes and forwarding them to a VictoriaMetrics' remote-write endpoint, as a scale-out deployment's write path
/// does.
/// </summary>
public sealed class VmAgent : IAsyncDisposable
{
    /// <summary>Where the Debian package installs it.</summary>
    public const string Binary = "/usr/bin/vmagent";

    private readonly List<string> _log = [];
    private readonly Process _process;
    private readonly string _queue = Directory.CreateTempSubdirectory("ioc-vmagent-").FullName;

    private VmAgent(string remoteWriteUrl)
    {
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add($"-httpListenAddr=127.0.0.1:{Port}");
        start.ArgumentList.Add($"-remoteWrite.url={remoteWriteUrl}");
        start.ArgumentList.Add($"-remoteWrite.tmpDataPath={_queue}");
        start.ArgumentList.Add("-remoteWrite.flushInterval=100ms");
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Base URL, without a trailing slash; InfluxDB writes go to <c>/api/v2/write</c> under it.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Starts a vmagent forwarding to <paramref name="server"/> and returns once it listens.</summary>
    public static async Task<VmAgent> Run(VictoriaMetrics server, CancellationToken cancellationToken)
    {
        Repository.Require(Binary, "victoria-metrics");
        var agent = new VmAgent(server.Url + "/api/v1/write");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (agent._log) agent._log.Add(e.Data);
            if (e.Data.Contains("starting http server at", StringComparison.Ordinal)) listening.TrySetResult();
        }
        agent._process.ErrorDataReceived += OnLine;
        agent._process.OutputDataReceived += OnLine;
        agent._process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("vmagent exited on start:\n" + agent.Log));
        agent._process.Start();
        agent._process.BeginErrorReadLine();
        agent._process.BeginOutputReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        // The log line comes just before the listener binds; a few quick probes bridge the gap.
        using var http = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var health = await http.GetAsync(agent.Url + "/health", cancellationToken);
                if (health.IsSuccessStatusCode) return agent;
            }
            catch (HttpRequestException) when (attempt < 100)
            {
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>What it logged, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log.TakeLast(30)); }
    }

    /// <summary>Stops it and deletes its queue.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_queue, recursive: true);
    }
}
