using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A mosquitto broker of a test's own: the Debian package's binary on a free loopback port, with a temporary
/// configuration, password file and ACL, started and stopped by the test.
/// </summary>
public sealed class Mosquitto : IAsyncDisposable
{
    /// <summary>Where the Debian package installs the broker.</summary>
    public const string Binary = "/usr/sbin/mosquitto";

    /// <summary>Where the Debian package installs the password tool.</summary>
    public const string PasswordTool = "/usr/bin/mosquitto_passwd";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _log = [];
    private Process? _process;

    private Mosquitto()
    {
    }

    /// <summary>The port it listens on, the same across restarts.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Its configuration directory, deleted on dispose.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("ioc-mosquitto-").FullName;

    /// <summary><c>host:port</c>, as <c>Mqtt:Broker</c> takes it.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>
    /// A running broker that lets only <paramref name="users"/> in (user name → password) and applies
    /// <paramref name="acl"/>, an ACL file's text.
    /// </summary>
    public static async Task<Mosquitto> Run(IReadOnlyDictionary<string, string> users, string acl, CancellationToken cancellationToken)
    {
        foreach (var binary in new[] { Binary, PasswordTool })
        {
            if (File.Exists(binary)) continue;
            // CI installs the package; there a missing binary is a failure, never a silent skip.
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
                Assert.Fail($"{binary} is missing; CI must install the mosquitto package.");
            Assert.Skip($"{binary} is not installed (apt-get install mosquitto).");
        }
        var broker = new Mosquitto();
        var passwords = Path.Combine(broker.Directory, "passwd");
        await File.WriteAllTextAsync(passwords, "", cancellationToken);
        foreach (var (user, password) in users)
            await RunTool(cancellationToken, "-b", passwords, user, password);
        await File.WriteAllTextAsync(Path.Combine(broker.Directory, "acl"), acl, cancellationToken);
        // Run as whoever runs the tests: as root mosquitto would otherwise drop to a user that cannot read these files.
        await File.WriteAllTextAsync(Path.Combine(broker.Directory, "mosquitto.conf"), $"""
            listener {broker.Port} 127.0.0.1
            user {Environment.UserName}
            allow_anonymous false
            password_file {passwords}
            acl_file {Path.Combine(broker.Directory, "acl")}
            persistence false
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information
            """, cancellationToken);
        await broker.Start(cancellationToken);
        return broker;
    }

    private static async Task RunTool(CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo(PasswordTool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"mosquitto_passwd failed: {error}");
    }

    private async Task Start(CancellationToken cancellationToken)
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Path.Combine(Directory, "mosquitto.conf"));
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (_log) _log.Add(e.Data);
            if (e.Data.Contains(" running", StringComparison.Ordinal)) running.TrySetResult();
        }
        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.Exited += (_, _) => running.TrySetException(new InvalidOperationException("mosquitto exited on start:\n" + Log));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        await running.Task.WaitAsync(StartTimeout, cancellationToken);
        // "running" is logged once the listener is open; one connection proves it.
        using var probe = new TcpClient();
        await probe.ConnectAsync("127.0.0.1", Port, cancellationToken);
    }

    /// <summary>What the broker logged, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log.TakeLast(50)); }
    }

    /// <summary>Stops the broker (SIGTERM) and deletes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        _process?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
