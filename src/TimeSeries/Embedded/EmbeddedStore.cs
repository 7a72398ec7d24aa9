using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ioc.TimeSeries;

/// <summary>
/// The SQLite file in the data directory that the one-command hub keeps everything in when no
/// time-series server is configured: points (written by the buffer's drainer, read by the history API)
/// and grain state. WAL journal mode lets readers run beside the one writer. Beside the raw points it
/// keeps per-minute and per-hour aggregates (<see cref="SampleRollups"/>), maintained as points are
/// written, so that raw points can expire sooner than the history they summarise.
/// </summary>
public sealed class EmbeddedStore : IDisposable
{
    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) <c>hub.db</c> in the data directory.</summary>
    public EmbeddedStore(IOptions<StorageOptions> options, IHostEnvironment environment, ILogger<EmbeddedStore> logger)
    {
        var directory = options.Value.ResolveDataDirectory(environment);
        Directory.CreateDirectory(directory);
        FilePath = Path.Combine(directory, "hub.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Also how long a writer waits for another writer's lock.
            DefaultTimeout = 30,
        }.ToString();
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
            CREATE TABLE IF NOT EXISTS grain_state (
                service TEXT NOT NULL,
                state TEXT NOT NULL,
                grain TEXT NOT NULL,
                etag INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (service, state, grain)) WITHOUT ROWID;
            """ + SampleRollups.Schema;
        command.ExecuteNonQuery();
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

    /// <summary>Path of the SQLite file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// An open connection from the pool; dispose it to return it. Its commits are on disk when they return
    /// (<c>synchronous=FULL</c>), as points must be before the buffer is truncated behind them.
    /// </summary>
    public SqliteConnection Open() => Open("PRAGMA synchronous = FULL");

    /// <summary>
    /// An open connection whose commits are safe from a crash of the process but not from a power cut
    /// (<c>synchronous=NORMAL</c>): they skip the fsync. For grain state, which is saved every few
    /// seconds and which the units rebuild from the points they receive next.
    /// </summary>
    public SqliteConnection OpenForState() => Open("PRAGMA synchronous = NORMAL");

    // The setting belongs to the connection, and pooled connections are shared, so every open sets it.
    private SqliteConnection Open(string pragma)
    {
        var connection = new SqliteConnection(_connectionString);
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

    /// <summary>Bytes the store takes on disk: the file, its write-ahead log and shared-memory index.</summary>
    public long FileBytes() =>
        new[] { FilePath, FilePath + "-wal", FilePath + "-shm" }.Sum(f => File.Exists(f) ? new FileInfo(f).Length : 0);

    /// <summary>Closes the pooled connections, so the file can be moved or deleted.</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
