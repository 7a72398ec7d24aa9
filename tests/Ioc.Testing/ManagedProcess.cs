using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace Ioc.Testing;

/// <summary>
/// A server process started by a test or the benchmark suite: its last lines are kept for failure messages (and
/// written to a log file when one is named), a line it prints can signal that it has started, its memory and CPU
/// are read from /proc, and it is stopped by signal, gracefully first. Every instance is tracked so that an
/// interrupted run still stops what it started.
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private static readonly List<ManagedProcess> Live = [];
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly StreamWriter? _log;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _readyLine;
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    private ManagedProcess(string name, Process process, StreamWriter? log, string? readyLine)
    {
        Name = name;
        _process = process;
        _log = log;
        _readyLine = readyLine;
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>Its process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The log file its output goes to, or null when only the last lines are kept.</summary>
    public string? LogPath { get; private init; }

    /// <summary>
    /// Starts <paramref name="file"/>. When <paramref name="readyLine"/> is given, <see cref="WaitUntilReadyAsync"/>
    /// completes once the process prints a line containing it.
    /// </summary>
    public static ManagedProcess Start(
        string name,
        string file,
        IEnumerable<string> args,
        string? workingDirectory = null,
        string? logPath = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? readyLine = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        StreamWriter? log = null;
        if (logPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            log = new StreamWriter(logPath, append: true) { AutoFlush = true };
            log.WriteLine($"# {DateTimeOffset.UtcNow:O} {file} {string.Join(' ', info.ArgumentList)}");
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(name, process, log, readyLine) { LogPath = logPath };
        process.OutputDataReceived += (_, e) => managed.Observe(e.Data);
        process.ErrorDataReceived += (_, e) => managed.Observe(e.Data);
        if (readyLine is not null)
            process.Exited += (_, _) => managed._ready.TrySetException(
                new InvalidOperationException($"{name} exited with {process.ExitCode} before it started:\n{managed.Tail(80)}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Live) Live.Add(managed);
        return managed;
    }

    /// <summary>
    /// Waits for the ready line given to <see cref="Start"/>; throws with the process's last lines if it exits first
    /// or does not print it within <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_readyLine is null) throw new InvalidOperationException($"{Name} was started without a ready line.");
        try
        {
            await _ready.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not start within {timeout}:\n{Tail(80)}");
        }
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

    /// <summary>Sends a signal (2 = SIGINT, 15 = SIGTERM, 9 = SIGKILL).</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited) return;
        if (SendSignal(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"Could not signal {Name}.");
    }

    /// <summary>
    /// Asks the process to stop with <paramref name="signal"/> and returns its exit code; kills it if it has not
    /// stopped within <paramref name="grace"/>, and then throws when <paramref name="throwOnTimeout"/> is set.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace, int signal = SigTerm, bool throwOnTimeout = false)
    {
        try
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
                    Kill();
                    if (throwOnTimeout) throw new TimeoutException($"{Name} did not stop within {grace} of signal {signal}:\n{Tail(80)}");
                }
            }
            return _process.ExitCode;
        }
        finally
        {
            lock (Live) Live.Remove(this);
            if (_log is not null) lock (_log) _log.Flush();
        }
    }

    /// <summary>
    /// kill -9 of the process and, unless <paramref name="entireProcessTree"/> is false, its children: it ends with no
    /// chance to hand anything over.
    /// </summary>
    /// <remarks>
    /// The tree kill stops the process (SIGSTOP) before it looks for children among every process on the machine, and
    /// sends SIGKILL only after: on a loaded machine the process is frozen for a second or more first, its connections
    /// open, which is not what kill -9 does. A process known to have no children is better killed alone.
    /// </remarks>
    public void Kill(bool entireProcessTree = true)
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree);
        // SIGKILL is asynchronous; the process may still answer a request or two until it is gone.
        _process.WaitForExit();
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Completes once the process has written a line containing <paramref name="text"/> (among its last lines, or
    /// from now on).
    /// </summary>
    public Task Printed(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.Any(line => line.Contains(text, StringComparison.Ordinal))) seen.TrySetResult();
            else _awaited.Add((text, seen));
        }
        return seen.Task;
    }

    /// <summary>The last lines it wrote, for error messages.</summary>
    public string Tail(int lines = 20)
    {
        lock (_lines) return string.Join('\n', _lines.TakeLast(lines));
    }

    /// <summary>Stops it gracefully (SIGTERM, then SIGKILL after 30 s) and closes its log.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        if (_log is not null) await _log.DisposeAsync();
    }

    /// <summary>Kills whatever is still running; for an interrupted run.</summary>
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

    private void Observe(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > KeptLines) _lines.Dequeue();
            _awaited.RemoveAll(a => line.Contains(a.Text, StringComparison.Ordinal) && a.Seen.TrySetResult());
        }
        if (_log is not null) lock (_log) _log.WriteLine(line);
        if (_readyLine is not null && line.Contains(_readyLine, StringComparison.Ordinal)) _ready.TrySetResult();
    }

    /// <summary>SIGTERM, as Kubernetes and systemd send.</summary>
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}

/// <summary>Waits for an HTTP endpoint of another process to answer 200.</summary>
public static class HttpReadiness
{
    private static readonly HttpClient Probe = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(1) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// Polls <paramref name="url"/> every 20 ms until it answers 200 and returns the time since <paramref name="since"/>.
    /// The server is another process, so there is no signal to wait on; polling is how an orchestrator or a load
    /// balancer sees readiness too.
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
