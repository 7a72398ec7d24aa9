using System.Diagnostics;

namespace Ioc.Testing;

/// <summary>
/// A <c>vmagent</c> (from the Debian <c>victoria-metrics</c> package) on a free loopback port, taking InfluxDB
/// writes and forwarding them to a VictoriaMetrics' remote-write endpoint, as a scale-out deployment's write path
/// does.
/// </summary>
public sealed class VmAgent : IAsyncDisposable
{
    /// <summary>Where the Debian package installs it.</summary>
    public const string Binary = "/usr/bin/vmagent";

    private readonly string _queue = Directory.CreateTempSubdirectory("ioc-vmagent-").FullName;
    private ManagedProcess? _process;

    private VmAgent()
    {
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Base URL, without a trailing slash; InfluxDB writes go to <c>/api/v2/write</c> under it.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>What it logged, for failure messages.</summary>
    public string Log => _process?.Tail(30) ?? "";

    /// <summary>Starts a vmagent forwarding to <paramref name="server"/> and returns once it listens.</summary>
    public static async Task<VmAgent> Run(VictoriaMetrics server, CancellationToken cancellationToken)
    {
        Component.Require(Binary, "victoria-metrics");
        var agent = new VmAgent();
        try
        {
            var clock = Stopwatch.StartNew();
            agent._process = ManagedProcess.Start("vmagent", Binary,
            [
                $"-httpListenAddr=127.0.0.1:{agent.Port}", $"-remoteWrite.url={server.Url}/api/v1/write",
                $"-remoteWrite.tmpDataPath={agent._queue}", "-remoteWrite.flushInterval=100ms",
            ], readyLine: "starting http server at");
            await agent._process.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancellationToken);
            // The log line comes just before the listener binds; a few quick probes bridge the gap.
            await HttpReadiness.WaitFor200Async(new Uri(agent.Url + "/health"), clock, agent._process, TimeSpan.FromSeconds(30), cancellationToken);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops it and deletes its queue.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            _process.Kill();
            await _process.DisposeAsync();
        }
        Directory.Delete(_queue, recursive: true);
    }
}
