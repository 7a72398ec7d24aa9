using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Ioc.Tests.Cluster;

/// <summary>
/// A hub deployed as a real cluster on loopback: silo, gateway and ingest processes in <see cref="ClusterMode.Postgres"/>
/// against a database of their own, each process with a data directory of its own (as each pod has its own disk),
/// plus an Orleans client of the test's own to see where grains live.
/// </summary>
public sealed class ClusterUnderTest : IAsyncDisposable
{
    /// <summary>The signing key the processes share (the Kubernetes Secret's <c>Auth__SigningKey</c>).</summary>
    public const string SigningKey = "cluster-test-signing-key-hung-yen-ioc-0000";

    /// <summary>The ingest development token.</summary>
    public const string DevToken = "cluster-test-dev-token";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly PostgresServer _server;
    private readonly string _database;
    private readonly string _clusterId = $"test-{Guid.NewGuid():N}"[..13];
    private readonly List<HubProcess> _processes = [];
    private readonly List<string> _dataDirectories = [];
    private readonly Dictionary<HubRole, int> _started = [];
    private IHost? _client;

    private ClusterUnderTest(PostgresServer server, string database)
    {
        _server = server;
        _database = database;
    }

    /// <summary>The processes started so far, in order, running or not.</summary>
    public IReadOnlyList<HubProcess> Processes => _processes;

    /// <summary>Running processes of a role.</summary>
    public IEnumerable<HubProcess> Running(HubRole role) => _processes.Where(p => p.Role == role && !p.HasExited);

    /// <summary>The database's connection string.</summary>
    public string ConnectionString => _server.ConnectionString(_database);

    /// <summary>Creates a database, applies the schema with the documented psql command, and starts nothing yet.</summary>
    public static async Task<ClusterUnderTest> CreateAsync(PostgresServer server)
    {
        var database = await server.CreateDatabaseAsync("hub");
        await server.ApplySchemaWithPsqlAsync(database);
        return new ClusterUnderTest(server, database);
    }

    /// <summary>
    /// Starts processes of a role side by side and waits until each has started. <paramref name="extra"/>
    /// adds or overrides settings (environment variables, <c>Section__Key</c>).
    /// </summary>
    public async Task<HubProcess[]> StartAsync(HubRole role, int count = 1, IReadOnlyDictionary<string, string>? extra = null) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => StartOne(role, extra)));

    /// <summary>Settings that send an ingest process's points to a VictoriaMetrics server.</summary>
    public static IReadOnlyDictionary<string, string> TimeSeries(VictoriaMetrics server) => new Dictionary<string, string>
    {
        ["TimeSeries__Server"] = "VictoriaMetrics",
        ["TimeSeries__Url"] = server.Url,
    };

    private async Task<HubProcess> StartOne(HubRole role, IReadOnlyDictionary<string, string>? extra)
    {
        int n;
        lock (_started) n = _started[role] = _started.GetValueOrDefault(role) + 1;
        var name = $"{role.ToString().ToLowerInvariant()}-{n}";
        // Otherwise every process would keep its buffer and embedded store in the build output, shared with
        // every other process of every test.
        var data = Directory.CreateTempSubdirectory($"ioc-{name}-").FullName;
        lock (_dataDirectories) _dataDirectories.Add(data);
        var settings = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = data,
            ["ASPNETCORE_ENVIRONMENT"] = role == HubRole.Ingest ? "Development" : "Production",
            ["Cluster__Mode"] = "Postgres",
            ["Cluster__ClusterId"] = _clusterId,
            ["ConnectionStrings__Orleans"] = ConnectionString,
            ["Auth__SigningKey"] = SigningKey,
            // Failure detection is the silo's own (appsettings.json), so the tests measure what production does.
            ["Cluster__GatewayListRefreshPeriod"] = "00:00:02",
            ["Cluster__ShutdownTimeout"] = "00:00:20",
            ["Cluster__ResponseTimeout"] = "00:00:05",
            ["Hub__StateSavePeriod"] = "00:00:00.200",
            // The build output holds the silo's appsettings.Development.json, which turns the simulator on.
            ["Simulator__Enabled"] = "false",
            // Nor its MQTT listener, whose fixed port two processes (or another test) would contend for.
            ["Mqtt__Enabled"] = "false",
            // Times on every line, so that a failure's diagnostics show where the seconds went between processes.
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        if (role == HubRole.Silo)
        {
            settings["Cluster__SiloPort"] = FreePort.Next().ToString();
            settings["Cluster__GatewayPort"] = FreePort.Next().ToString();
            settings["Cluster__AdvertisedAddress"] = "127.0.0.1";
            settings["Cluster__SiloName"] = name;
        }
        if (role == HubRole.Ingest)
            settings["Ingest__DevToken"] = DevToken;
        // IOC_CLUSTER_LOGS names a directory that keeps every process's whole output, with membership's suspicions and
        // evictions, to read where a run's seconds went.
        string? logs = null;
        if (Environment.GetEnvironmentVariable("IOC_CLUSTER_LOGS") is { Length: > 0 } directory)
        {
            settings["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
            logs = Path.Combine(Directory.CreateDirectory(Path.Combine(directory, _clusterId)).FullName, $"{name}.log");
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        var process = await HubProcess.StartAsync(new HubStart(role, name)
            { HttpPort = FreePort.Next(), Environment = settings, Timeout = StartTimeout, LogPath = logs });
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>An Orleans client of the cluster, built with the same wiring as Gateway and Ingest.</summary>
    public async Task<IClusterClient> ClientAsync()
    {
        if (_client is null)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cluster:Mode"] = "Postgres",
                ["Cluster:ClusterId"] = _clusterId,
                ["Cluster:GatewayListRefreshPeriod"] = "00:00:02",
                ["ConnectionStrings:Orleans"] = ConnectionString,
            });
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton(new Readiness());
            builder.AddClusterClient();
            _client = builder.Build();
            await _client.StartAsync();
        }
        return _client.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The silo process hosting a unit's grain now.</summary>
    public Task<HubProcess> SiloHosting(string unitId) => SiloHosting<IUnitGrain>(unitId);

    /// <summary>The silo process hosting the active grain of a type and key now.</summary>
    public Task<HubProcess> SiloHosting<TGrain>(string key) where TGrain : IGrainWithStringKey => SiloHosting(client => client.GetGrain<TGrain>(key));

    /// <summary>The silo process hosting the active grain of a type and integer key now.</summary>
    public Task<HubProcess> SiloHostingInteger<TGrain>(long key) where TGrain : IGrainWithIntegerKey => SiloHosting(client => client.GetGrain<TGrain>(key));

    private async Task<HubProcess> SiloHosting(Func<IClusterClient, IAddressable> grain)
    {
        var client = await ClientAsync();
        var address = await client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain(client));
        Assert.NotNull(address);
        return _processes.Single(p => p.Role == HubRole.Silo && p.SiloPort == address.Endpoint.Port);
    }

    /// <summary>
    /// Signals every write of grain state to PostgreSQL, through a trigger added to this test's database only:
    /// the test waits on the store itself, not on a guess of when the periodic save has run.
    /// </summary>
    public async Task<StateWrites> ListenForStateWritesAsync()
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                CREATE OR REPLACE FUNCTION test_notify_state() RETURNS trigger AS $$
                BEGIN PERFORM pg_notify('grain_state', NEW.grain_type || '/' || NEW.grain_id_ext); RETURN NEW; END $$ LANGUAGE plpgsql;
                CREATE OR REPLACE TRIGGER test_notify_state AFTER INSERT OR UPDATE ON orleans_grain_state
                FOR EACH ROW EXECUTE FUNCTION test_notify_state();
                """, connection);
            await command.ExecuteNonQueryAsync();
        }
        return await StateWrites.StartAsync(ConnectionString);
    }

    /// <summary>A bearer token for an operator's screen.</summary>
    public static string OperatorToken() =>
        DevTokens.Issue(new HubAuthOptions { SigningKey = SigningKey }, HubRoles.Operator, "cluster-test-operator", TimeSpan.FromHours(1));

    /// <summary>A bearer token for a supervisor, who may acknowledge alerts.</summary>
    public static string SupervisorToken() =>
        DevTokens.Issue(new HubAuthOptions { SigningKey = SigningKey }, HubRoles.Supervisor, "cluster-test-supervisor", TimeSpan.FromHours(1));

    /// <summary>The last lines of every process, for a failure message.</summary>
    public string Diagnostics() =>
        string.Join("\n\n", _processes.Select(p => $"===== {p.Name}{(p.HasExited ? " (exited)" : "")} =====\n{p.Output}"));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // The cluster may be gone already.
            }
            _client.Dispose();
        }
        await Task.WhenAll(_processes.Select(p => p.DisposeAsync().AsTask()));
        foreach (var data in _dataDirectories)
            Directory.Delete(data, recursive: true);
    }
}

/// <summary>Notifications of grain-state writes, one per row written, carrying the grain's type and string key.</summary>
public sealed class StateWrites : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Channel<(string Type, string Key)> _writes = Channel.CreateUnbounded<(string, string)>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private StateWrites(NpgsqlConnection connection)
    {
        _connection = connection;
        _connection.Notification += (_, e) =>
        {
            var slash = e.Payload.LastIndexOf('/');
            _writes.Writer.TryWrite((e.Payload[..slash], e.Payload[(slash + 1)..]));
        };
        _loop = Task.Run(async () =>
        {
            try
            {
                while (true) await _connection.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    internal static async Task<StateWrites> StartAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var listen = new NpgsqlCommand("LISTEN grain_state", connection))
            await listen.ExecuteNonQueryAsync();
        return new StateWrites(connection);
    }

    /// <summary>
    /// Waits for the next write of <paramref name="grainKey"/>'s state; with <paramref name="grainType"/>, only of a
    /// grain whose type name contains it (a unit and its alerts share a key).
    /// </summary>
    public async Task WaitForWriteOf(string grainKey, TimeSpan timeout, string? grainType = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        await foreach (var (type, key) in _writes.Reader.ReadAllAsync(cts.Token))
            if (key == grainKey && (grainType is null || type.Contains(grainType, StringComparison.OrdinalIgnoreCase))) return;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
