using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ioc.TimeSeries;

/// <summary>
/// The SQLite files in the data directory that the one-command hub keeps everything in when no
/// time-series server is configured: points in <c>hub.db</c> (written by the buffer's drainer, read by the
/// history API), grain state in <c>state.db</c>. WAL journal mode lets readers run beside each file's one
/// writer. Beside the raw points it keeps per-minute and per-hour aggregates (<see cref="SampleRollups"/>),
/// maintained as points are written, so that raw points can expire sooner than the history they summarise.
/// </summary>
/// <remarks>
/// Grain state has a file of its own because SQLite has one writer per file: in the same file as the points, the
/// units' saves waited behind every commit of the drainer, and at 20,000 units × 4 metrics nearly every unit was
/// always waiting for its save (docs/design/memory.md). A file written by an earlier version, with a
/// <c>grain_state</c> table of its own, has that table moved to <c>state.db</c> as the store opens.
/// </remarks>
public sealed class EmbeddedStore : IDisposable
{
    private readonly string _connectionString;
    private readonly string _stateConnectionString;

    /// <summary>Opens (creating if needed) <c>hub.db</c> and <c>state.db</c> in the data directory.</summary>
    public EmbeddedStore(IOptions<StorageOptions> options, IHostEnvironment environment, ILogger<EmbeddedStore> logger)
    {
        var directory = options.Value.ResolveDataDirectory(environment);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, "hub.db");
        StateFilePath = Path.Combine(directory, "state.db");
        _connectionString = ConnectionString(FilePath);
        _stateConnectionString = ConnectionString(StateFilePath);
        using (var state = OpenState())
        using (var create = state.CreateCommand())
        {
            create.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS grain_state (service TEXT NOT NULL, state TEXT NOT NULL, grain TEXT NOT NULL,
                    etag INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (service, state, grain)) WITHOUT ROWID;
                """;
            create.ExecuteNonQuery();
        }
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('samples', 'samples_1m')";
        // A file written before the aggregates existed has raw points and no aggregates: they are built once, below.
        var upgrading = (long)command.ExecuteScalar()! == 1;
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS series (
                id INTEGER PRIMARY KEY,
                metric TEXT NOT NULL,
                unit TEXT NOT NULL,
                tags TEXT NOT NULL DEFAULT '',
                UNIQUE (metric, unit, tags));
            CREATE TABLE IF NOT EXISTS samples (
                series INTEGER NOT NULL,
                ts INTEGER NOT NULL,
                value REAL NOT NULL,
                PRIMARY KEY (series, ts)) WITHOUT ROWID;
            """ + SampleRollups.Schema;
        command.ExecuteNonQuery();
        MoveGrainState(connection, logger);
        if (upgrading)
        {
            logger.LogInformation("Building the per-minute and per-hour aggregates of the points already in {Path}", FilePath);
            using var transaction = connection.BeginTransaction();
            command.Transaction = transaction;
            command.CommandText = SampleRollups.BuildAll;
            command.ExecuteNonQuery();
            transaction.Commit();
        }
        logger.LogInformation("Embedded store at {Path}", FilePath);
    }

    /// <summary>Path of the SQLite file of points.</summary>
    public string FilePath { get; }

    /// <summary>Path of the SQLite file of grain state.</summary>
    public string StateFilePath { get; }

    private static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        // Also how long a writer waits for another writer's lock.
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// Moves the grain state an earlier version kept in <c>hub.db</c> to <c>state.db</c>: copied first, in a commit of
    /// its own, then dropped; a crash between the two leaves both, and the next start copies again, keeping rows
    /// already in <c>state.db</c> (they are newer).
    /// </summary>
    private void MoveGrainState(SqliteConnection connection, ILogger logger)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'grain_state'";
        if ((long)command.ExecuteScalar()! == 0)
            return;
        command.CommandText = "ATTACH DATABASE $path AS moved";
        command.Parameters.AddWithValue("$path", StateFilePath);
        command.ExecuteNonQuery();
        command.Parameters.Clear();
        try
        {
            command.CommandText = "INSERT OR IGNORE INTO moved.grain_state SELECT service, state, grain, etag, data FROM main.grain_state";
            var moved = command.ExecuteNonQuery();
            command.CommandText = "DROP TABLE main.grain_state";
            command.ExecuteNonQuery();
            logger.LogInformation("Moved {Rows} grain states from {From} to {To}", moved, FilePath, StateFilePath);
        }
        finally
        {
            command.CommandText = "DETACH DATABASE moved";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// An open connection from the pool; dispose it to return it. Its commits are on disk when they return
    /// (<c>synchronous=FULL</c>), as points must be before the buffer is truncated behind them.
    /// </summary>
    public SqliteConnection Open() => Open("PRAGMA synchronous = FULL");

    /// <summary>
    /// An open connection to the points whose commits are safe from a crash of the process but not from a power
    /// cut (<c>synchronous=NORMAL</c>): they skip the fsync. For deleting what retention lets go.
    /// </summary>
    public SqliteConnection OpenWithoutSync() => Open("PRAGMA synchronous = NORMAL");

    /// <summary>
    /// An open connection to the grain state, whose commits skip the fsync as <see cref="OpenWithoutSync"/>'s do:
    /// grain state is saved every few seconds, and the units rebuild it from the points they receive next.
    /// </summary>
    public SqliteConnection OpenState() => Open("PRAGMA synchronous = NORMAL", _stateConnectionString);

    // The setting belongs to the connection, and pooled connections are shared, so every open sets it.
    private SqliteConnection Open(string pragma, string? connectionString = null)
    {
        var connection = new SqliteConnection(connectionString ?? _connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Unix nanoseconds, the embedded store's timestamps.</summary>
    public static long ToUnixNanoseconds(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;

    /// <summary>The instant of a timestamp in unix nanoseconds.</summary>
    public static DateTimeOffset FromUnixNanoseconds(long ns) => new(DateTimeOffset.UnixEpoch.Ticks + ns / 100, TimeSpan.Zero);

    /// <summary>Bytes the store takes on disk: both files, their write-ahead logs and shared-memory indexes.</summary>
    public long FileBytes() =>
        new[] { FilePath, StateFilePath }.SelectMany(p => new[] { p, p + "-wal", p + "-shm" }).Sum(f => File.Exists(f) ? new FileInfo(f).Length : 0);

    /// <summary>Closes the pooled connections, so the file can be moved or deleted.</summary>
    public void Dispose()
    {
        foreach (var connectionString in new[] { _connectionString, _stateConnectionString })
        {
            using var connection = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(connection);
        }
    }
}
