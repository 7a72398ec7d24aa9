using System.Net.Sockets;

namespace Ioc.Testing;

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
    private ManagedProcess? _process;

    private Mosquitto()
    {
    }

    /// <summary>The port it listens on, the same across restarts.</summary>
    public int Port { get; } = FreePort.Next();

    /// <summary>Its configuration directory, deleted on dispose.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("ioc-mosquitto-").FullName;

    /// <summary><c>host:port</c>, as <c>Mqtt:Broker</c> takes it.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>What the broker logged, for failure messages.</summary>
    public string Log => _process?.Tail(50) ?? "";

    /// <summary>
    /// A running broker that lets only <paramref name="users"/> in (user name → password) and applies
    /// <paramref name="acl"/>, an ACL file's text.
    /// </summary>
    public static async Task<Mosquitto> Run(IReadOnlyDictionary<string, string> users, string acl, CancellationToken cancellationToken)
    {
        Component.Require(Binary, "mosquitto");
        Component.Require(PasswordTool, "mosquitto");
        var broker = new Mosquitto();
        var passwords = Path.Combine(broker.Directory, "passwd");
        await File.WriteAllTextAsync(passwords, "", cancellationToken);
        foreach (var (user, password) in users)
            await Repository.Run(PasswordTool, ["-b", passwords, user, password], StartTimeout);
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

    private async Task Start(CancellationToken cancellationToken)
    {
        _process = ManagedProcess.Start("mosquitto", Binary, ["-c", Path.Combine(Directory, "mosquitto.conf")], readyLine: " running");
        await _process.WaitUntilReadyAsync(StartTimeout, cancellationToken);
        // "running" is logged once the listener is open; one connection proves it.
        using var probe = new TcpClient();
        await probe.ConnectAsync("127.0.0.1", Port, cancellationToken);
    }

    /// <summary>Stops the broker (SIGTERM) and deletes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
