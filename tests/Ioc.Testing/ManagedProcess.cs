using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ioc.LoadGen.Suite;

/// <summary>
/// A server process the suite started: its output goes to a log file, its memory and CPU are read
/// from /proc, and it is stopped by signal, gracefully first. Every instance is tracked so that an
/// interrupted suite still stops what it started.
/// </summary>
internal sealed class ManagedProcess : IAsyncDisposable
{
    private static readonly List<ManagedProcess> Live = [];
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ManagedProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string LogPath { get; private init; } = "";

    public static ManagedProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {DateTimeOffset.UtcNow:O} {file} {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var managed = new ManagedProcess(name, process, log) { LogPath = logPath };
        lock (Live) Live.Add(managed);
        return managed;
    }

    /// <summary>Resident set size now, in MiB.</summary>
    public double RssMiB() => StatusKiB("VmRSS:") / 1024.0;

    /// <summary>Peak resident set size since start, in MiB.</summary>
    public double PeakRssMiB() => StatusKiB("VmHWM:") / 1024.0;

    /// <summary>User plus system CPU time used so far.</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    private long StatusKiB(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>Sends a signal (2 = SIGINT, 15 = SIGTERM, 9 = SIGKILL) with kill(1), which needs no native interop.</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal.ToString(CultureInfo.InvariantCulture), _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    /// <summary>Asks the process to stop with <paramref name="signal"/>, and kills it if it has not within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace, int signal = 15)
    {
        if (!_process.HasExited)
        {
            Signal(signal);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        lock (Live) Live.Remove(this);
        lock (_log) _log.Flush();
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>The last lines of the log, for error messages.</summary>
    public string Tail(int lines = 20)
    {
        lock (_log) _log.Flush();
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        await _log.DisposeAsync();
    }

    /// <summary>Kills whatever is still running; for an interrupted suite.</summary>
    public static void KillAll()
    {
        List<ManagedProcess> left;
        lock (Live) left = [.. Live];
        foreach (var p in left)
        {
            try { if (!p._process.HasExited) p._process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
    }
}

/// <summary>Free loopback ports.</summary>
internal static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Handed.Add(port)) return port;
            }
        }
    }
}

/// <summary>Waits for an HTTP endpoint to answer 200, for start-up timing.</summary>
internal static class Http
{
    private static readonly HttpClient Probe = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(1) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Polls <paramref name="url"/> every 20 ms until it answers 200. The server is another process, so
    /// there is no signal to wait on; polling is how an orchestrator or a load balancer sees readiness too.
    /// </summary>
    public static async Task<TimeSpan> WaitFor200Async(Uri url, Stopwatch since, ManagedProcess process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (since.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
                throw new InvalidOperationException($"{process.Name} exited during start-up:\n{process.Tail()}");
            try
            {
                using var response = await Probe.GetAsync(url, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return since.Elapsed;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new TimeoutException($"{process.Name} was not ready within {timeout}:\n{process.Tail()}");
    }
}
