using System.Diagnostics;
using System.Runtime.InteropServices;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Cluster;

/// <summary>The three deployables, as separate processes.</summary>
public enum HubRole
{
    /// <summary><c>src/Silo</c> in cluster mode: a silo only.</summary>
    Silo,
    /// <summary><c>src/Gateway</c>: SignalR and the read API, an Orleans client.</summary>
    Gateway,
    /// <summary><c>src/Ingest</c>: the telemetry endpoints, an Orleans client.</summary>
    Ingest,
}

/// <summary>
/// One hub process started from the build output, as a container would start it: configuration through
/// environment variables, HTTP on a loopback port, stopped with SIGTERM (graceful) or SIGKILL.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _output = new();

    private HubProcess(HubRole role, string name, int httpPort, IReadOnlyDictionary<string, string> settings, string? workingDirectory)
    {
        Role = role;
        Name = name;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The content root; a container's is its image's folder.
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, $"Ioc.{role}.dll"));
        // Unprefixed "Urls" outranks the silo's appsettings.json, as it would in a container.
        start.Environment["Urls"] = BaseAddress.ToString();
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Observe(e.Data);
        _process.ErrorDataReceived += (_, e) => Observe(e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it started:\n{Output}"));
    }

    /// <summary>Which deployable this is.</summary>
    public HubRole Role { get; }

    /// <summary>A name for messages: silo-1, gateway-2, ...</summary>
    public string Name { get; }

    /// <summary>Its HTTP address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>For a silo, its silo-to-silo port, which identifies it in the membership table.</summary>
    public int SiloPort { get; init; }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return string.Join('\n', _output);
        }
    }

    /// <summary>
    /// Starts a process and waits for the host's own "Application started" line, which it writes once every
    /// hosted service has started: for a silo, once it has joined the cluster and activated the catalog; for a
    /// client, once it has connected.
    /// </summary>
    public static async Task<HubProcess> StartAsync(
        HubRole role, string name, int httpPort, IReadOnlyDictionary<string, string> settings, TimeSpan timeout, string? workingDirectory = null)
    {
        var hub = new HubProcess(role, name, httpPort, settings, workingDirectory) { SiloPort = settings.TryGetValue("Cluster__SiloPort", out var p) ? int.Parse(p) : 0 };
        hub._process.Start();
        hub._process.BeginOutputReadLine();
        hub._process.BeginErrorReadLine();
        try
        {
            await hub._started.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await hub.DisposeAsync();
            throw new TimeoutException($"{name} did not start within {timeout}:\n{hub.Output}");
        }
        return hub;
    }

    /// <summary>kill -9: the process ends at once, with no chance to hand anything over.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        // SIGKILL is asynchronous; the process may still answer a request or two until it is gone.
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as Kubernetes sends; waits for the process to drain and exit, and returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return _process.ExitCode;
        if (SendSignal(_process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"Could not signal {Name}.");
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not stop within {timeout} of SIGTERM:\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Observe(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 400) _output.Dequeue();
        }
        if (line.Contains("Application started.", StringComparison.Ordinal))
            _started.TrySetResult();
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
