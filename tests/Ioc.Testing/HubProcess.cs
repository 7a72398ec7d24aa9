using System.Diagnostics;
using System.Globalization;

namespace Ioc.Testing;

/// <summary>The three deployables, as separate processes.</summary>
public enum HubRole
{
    /// <summary><c>src/Silo</c>: in cluster mode a silo only, otherwise the whole one-command hub.</summary>
    Silo,
    /// <summary><c>src/Gateway</c>: SignalR and the read API, an Orleans client.</summary>
    Gateway,
    /// <summary><c>src/Ingest</c>: the telemetry endpoints, an Orleans client.</summary>
    Ingest,
}

/// <summary>How to start a <see cref="HubProcess"/>.</summary>
/// <param name="Role">Which deployable.</param>
/// <param name="Name">A name for messages: silo-1, gateway-2, ...</param>
public sealed record HubStart(HubRole Role, string Name)
{
    /// <summary>The built assembly to run with <c>dotnet</c>; by default <c>Ioc.{Role}.dll</c> beside the caller.</summary>
    public string? Assembly { get; init; }

    /// <summary>Its HTTP port on loopback.</summary>
    public int HttpPort { get; init; } = FreePort.Next();

    /// <summary>Environment variables, as a container gets its configuration (<c>Section__Key</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Command-line arguments after the assembly (<c>--Section:Key=value</c>), which outrank the environment.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Its working directory (the content root unless an argument says otherwise); by default the caller's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>A file for its whole output; without one only its last lines are kept.</summary>
    public string? LogPath { get; init; }

    /// <summary>
    /// A path that answers 200 once it is ready (as an orchestrator probes it); without one, ready is the host's own
    /// "Application started." line.
    /// </summary>
    public string? ReadyPath { get; init; }

    /// <summary>How long it may take to start.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Whether disposing stops it with SIGTERM (draining what it holds) rather than killing it.</summary>
    public bool StopGracefully { get; init; }
}

/// <summary>
/// One hub process started from the build output, as a container would start it: configuration through
/// environment variables (and arguments), HTTP on a loopback port, stopped with SIGTERM (graceful) or SIGKILL.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly bool _stopGracefully;

    private HubProcess(HubStart start, ManagedProcess process, Uri baseAddress, int siloPort)
    {
        Role = start.Role;
        Process = process;
        BaseAddress = baseAddress;
        SiloPort = siloPort;
        _stopGracefully = start.StopGracefully;
    }

    /// <summary>Which deployable this is.</summary>
    public HubRole Role { get; }

    /// <summary>A name for messages: silo-1, gateway-2, ...</summary>
    public string Name => Process.Name;

    /// <summary>Its HTTP address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>For a silo, its silo-to-silo port, which identifies it in the membership table.</summary>
    public int SiloPort { get; }

    /// <summary>The operating-system process: signals, memory, CPU.</summary>
    public ManagedProcess Process { get; }

    /// <summary>From launch until it was ready.</summary>
    public TimeSpan StartTime { get; private init; }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => Process.HasExited;

    /// <summary>The last lines it wrote, for failure messages.</summary>
    public string Output => Process.Tail(400);

    /// <summary>
    /// Starts a process and waits until it is ready: by default for the host's own "Application started." line, which
    /// it writes once every hosted service has started (for a silo, once it has joined the cluster and activated the
    /// catalog; for a client, once it has connected).
    /// </summary>
    public static async Task<HubProcess> StartAsync(HubStart start, CancellationToken cancellationToken = default)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{start.HttpPort}");
        // Unprefixed "Urls" outranks the silo's appsettings.json, as it would in a container.
        var environment = new Dictionary<string, string>
        {
            ["Urls"] = baseAddress.ToString(),
            ["Logging__Console__FormatterName"] = "simple",
        };
        foreach (var (key, value) in start.Environment) environment[key] = value;
        var assembly = start.Assembly ?? Path.Combine(AppContext.BaseDirectory, $"Ioc.{start.Role}.dll");
        var clock = Stopwatch.StartNew();
        var process = ManagedProcess.Start(start.Name, "dotnet", [assembly, .. start.Arguments],
            start.WorkingDirectory, start.LogPath, environment, start.ReadyPath is null ? "Application started." : null);
        var siloPort = environment.TryGetValue("Cluster__SiloPort", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : 0;
        try
        {
            TimeSpan ready;
            if (start.ReadyPath is { } path)
            {
                ready = await HttpReadiness.WaitFor200Async(new Uri(baseAddress, path), clock, process, start.Timeout, cancellationToken);
            }
            else
            {
                await process.WaitUntilReadyAsync(start.Timeout, cancellationToken);
                ready = clock.Elapsed;
            }
            return new HubProcess(start, process, baseAddress, siloPort) { StartTime = ready };
        }
        catch
        {
            process.Kill();
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a process with settings given as environment variables (<c>Section__Key</c>).</summary>
    public static Task<HubProcess> StartAsync(
        HubRole role, string name, int httpPort, IReadOnlyDictionary<string, string> settings, TimeSpan timeout, string? workingDirectory = null) =>
        StartAsync(new HubStart(role, name) { HttpPort = httpPort, Environment = settings, Timeout = timeout, WorkingDirectory = workingDirectory });

    /// <summary>
    /// The built one-command hub (<c>Ioc.Silo.dll</c>) as a developer runs it: the Development environment with the
    /// simulator and MQTT off, its own ports, and <paramref name="settings"/> (<c>Section:Key</c>).
    /// </summary>
    public static Task<HubProcess> StartDevelopmentAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Simulator__Enabled"] = "false",
            ["Mqtt__Enabled"] = "false",
            ["Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Cluster__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings) environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        return StartAsync(new HubStart(HubRole.Silo, "hub") { Environment = environment }, cancellationToken);
    }

    /// <summary>An HTTP client for the hub, carrying <paramref name="unitToken"/> when one is given.</summary>
    public HttpClient CreateClient(string? unitToken = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (unitToken is not null) client.DefaultRequestHeaders.Authorization = new("Token", unitToken);
        return client;
    }

    /// <summary>Completes once the hub has written a line containing <paramref name="text"/>.</summary>
    public Task Logged(string text) => Process.Printed(text);

    /// <summary>kill -9: the process ends at once, with no chance to hand anything over.</summary>
    /// <remarks>A hub process is one <c>dotnet</c> process that starts none of its own, so it is killed alone, at once.</remarks>
    public void Kill() => Process.Kill(entireProcessTree: false);

    /// <summary>SIGTERM, as Kubernetes sends; waits for the process to drain and exit, and returns its exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout) => Process.StopAsync(timeout, ManagedProcess.SigTerm, throwOnTimeout: true);

    /// <summary>Kills the process if it still runs, or stops it gracefully when it was started so.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopGracefully) Process.Kill();
        await Process.DisposeAsync();
    }
}
