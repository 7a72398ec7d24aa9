using System.Diagnostics;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// The built one-command hub (<c>Ioc.Silo.dll</c>) run as a child process with <c>dotnet</c>, in the
/// Development environment with the simulator off, its own ports and the given settings, so that a
/// test can kill it with SIGKILL.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<string> _log = [];
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];
    private readonly Process _process;

    private HubProcess(Process process, int port)
    {
        _process = process;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>Where the hub listens.</summary>
    public Uri Url { get; }

    /// <summary>Starts the hub and returns once it has started.</summary>
    public static async Task<HubProcess> Start(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ioc.Silo.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Simulator__Enabled"] = "false";
        start.Environment["Mqtt__Enabled"] = "false";
        start.Environment["Cluster__SiloPort"] = FreePort.Next().ToString();
        start.Environment["Cluster__GatewayPort"] = FreePort.Next().ToString();
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__")] = value;

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var hub = new HubProcess(process, port);
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (hub._log)
            {
                hub._log.Add(e.Data);
                foreach (var (text, seen) in hub._awaited)
                    if (e.Data.Contains(text, StringComparison.Ordinal)) seen.TrySetResult();
            }
            if (e.Data.Contains("Application started", StringComparison.Ordinal)) started.TrySetResult();
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Exited += (_, _) => started.TrySetException(new InvalidOperationException("The hub exited on start:\n" + hub.Log));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
        return hub;
    }

    /// <summary>An HTTP client for the hub carrying the development unit token.</summary>
    public HttpClient CreateUnitClient()
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Token", HubFactory.DevToken);
        return client;
    }

    /// <summary>Kills the process with SIGKILL: no shutdown, no drain, no flush.</summary>
    public async Task KillHard()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Completes once the hub has written a console line containing <paramref name="text"/>.</summary>
    public Task Logged(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_log)
        {
            if (_log.Any(line => line.Contains(text, StringComparison.Ordinal))) seen.TrySetResult();
            else _awaited.Add((text, seen));
        }
        return seen.Task;
    }

    /// <summary>What the hub wrote to its console, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log.TakeLast(80)); }
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
