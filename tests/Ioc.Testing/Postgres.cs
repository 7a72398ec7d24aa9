using Npgsql;

namespace Ioc.Testing;

/// <summary>
/// A throw-away PostgreSQL 15 server on a free loopback port with a temporary data directory, started with
/// <c>initdb</c> and <c>pg_ctl</c> and stopped (and its directory removed) at the end. PostgreSQL refuses to run as
/// root, so under root (CI) the server runs as the <c>postgres</c> user, in a directory that user owns.
/// Each test asks for a database of its own. Call <see cref="InitializeAsync"/> before use; a test class fixture
/// does so by deriving from it.
/// </summary>
public class Postgres : IAsyncDisposable
{
    /// <summary>Where the server's binaries are; <c>IOC_POSTGRES_BIN</c> overrides.</summary>
    public static readonly string BinDirectory = Environment.GetEnvironmentVariable("IOC_POSTGRES_BIN") ?? "/usr/lib/postgresql/15/bin";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private string? _directory;
    private int _port;

    /// <summary>Whether the server started; false when its binaries are missing outside CI.</summary>
    public bool Started { get; private set; }

    private static string Bin(string name) => Path.Combine(BinDirectory, name);

    private string? OsUser => Repository.RunningAsRoot ? "postgres" : null;

    /// <summary>Reports PostgreSQL through <see cref="Component.WhenMissing"/> when it is not installed.</summary>
    public void Require() => Component.Require(Bin("initdb"), "postgresql");

    /// <summary>Starts the server; does nothing when its binaries are missing (see <see cref="Require"/>).</summary>
    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Bin("initdb")))
            return;
        _directory = Directory.CreateTempSubdirectory("ioc-pg-").FullName;
        if (OsUser is { } user)
            await Repository.Run("chown", [$"{user}:{user}", _directory], CommandTimeout);
        var data = Path.Combine(_directory, "data");
        await Repository.Run(Bin("initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], CommandTimeout, OsUser);
        _port = FreePort.Next();
        // Durability settings are off: this server lives as long as the test run, and speed matters more here.
        var options = $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await Repository.Run(Bin("pg_ctl"), ["-D", data, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", "-o", options, "start"], CommandTimeout, OsUser);
        Started = true;
    }

    /// <summary>Connection string for <paramref name="database"/>, as the processes under test get it.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Database = database, Username = "postgres", Pooling = true }.ConnectionString;

    /// <summary>Creates an empty database with a fresh name and returns that name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>Applies <c>deploy/postgres/*.sql</c> with psql, exactly as the operations guide says to.</summary>
    public async Task ApplySchemaWithPsqlAsync(string database)
    {
        var scripts = Directory.GetFiles(Path.Combine(Repository.Root, "deploy", "postgres"), "*.sql").Order(StringComparer.Ordinal);
        List<string> arguments = ["-h", "127.0.0.1", "-p", _port.ToString(), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-1", "-q"];
        foreach (var script in scripts) arguments.AddRange(["-f", script]);
        await Repository.Run(Bin("psql"), arguments, CommandTimeout);
    }

    /// <summary>Stops the server and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_directory is null) return;
        if (Started)
        {
            try
            {
                await Repository.Run(Bin("pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], CommandTimeout, OsUser);
            }
            catch (Exception)
            {
                // Leave the directory for inspection if the server would not stop.
                return;
            }
        }
        Directory.Delete(_directory, recursive: true);
    }
}
