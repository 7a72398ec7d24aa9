using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ioc.TimeSeries;

/// <summary>What the last complete pass of <see cref="EmbeddedRetention"/> found.</summary>
/// <param name="OldestRaw">The oldest raw point left, or null when there is none.</param>
/// <param name="At">When the pass ended.</param>
/// <param name="Deleted">Rows it deleted, over the three tables.</param>
public sealed record RetentionPass(DateTimeOffset? OldestRaw, DateTimeOffset At, long Deleted);

/// <summary>
/// Deletes what the embedded store keeps past its retention (<see cref="RetentionOptions"/>): raw points, then
/// per-minute, then per-hour aggregates. It walks the series in id order, a slice of at most
/// <see cref="RetentionOptions.SliceRows"/> rows per transaction, each series' old rows found by its primary key,
/// so no pass scans a table and the writer only ever waits behind one small transaction. Cut-offs are
/// whole hours, so a bucket is never left half expired.
/// </summary>
public sealed class EmbeddedRetention(
    Lazy<EmbeddedStore> store, RetentionOptions options, TimeProvider time, ILogger<EmbeddedRetention> logger) : BackgroundService
{
    private const int SeriesPerSlice = 256;
    private readonly Lock _gate = new();
    private int _table;
    private long _cursor;
    private long _deleted;
    private long? _oldestRaw;

    /// <summary>Whether the hosted service runs; false when points go to a time-series server.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The last complete pass, or null before the first has ended.</summary>
    public RetentionPass? LastPass { get; private set; }

    /// <summary>Deletes one slice; returns true when it ended a pass over every table.</summary>
    public bool CompactSlice()
    {
        lock (_gate)
        {
            var (table, column, keep) = _table switch
            {
                0 => (SampleRollups.RawTable, "ts", options.Raw),
                1 => (SampleRollups.MinuteTable, "bucket", options.Minute),
                _ => (SampleRollups.HourTable, "bucket", options.Hour),
            };
            var now = time.GetUtcNow();
            var cutoff = SampleRollups.BucketOf(EmbeddedStore.ToUnixNanoseconds(now - keep), SampleRollups.HourNs);
            var budget = options.SliceRows;
            var more = true;
            using (var connection = store.Value.OpenWithoutSync())
            using (var transaction = connection.BeginTransaction())
            {
                using var ids = Command(connection, transaction, "SELECT id FROM series WHERE id > $cursor ORDER BY id LIMIT " + SeriesPerSlice);
                ids.Parameters.AddWithValue("$cursor", _cursor);
                var series = new List<long>();
                using (var reader = ids.ExecuteReader())
                    while (reader.Read()) series.Add(reader.GetInt64(0));
                more = series.Count == SeriesPerSlice;

                using var delete = Command(connection, transaction, $"""
                    DELETE FROM {table} WHERE series = $series AND {column} IN
                        (SELECT {column} FROM {table} WHERE series = $series AND {column} < $cutoff ORDER BY {column} LIMIT $limit)
                    """);
                var seriesParameter = delete.Parameters.Add("$series", SqliteType.Integer);
                delete.Parameters.AddWithValue("$cutoff", cutoff);
                var limit = delete.Parameters.Add("$limit", SqliteType.Integer);
                using var oldest = Command(connection, transaction, "SELECT min(ts) FROM samples WHERE series = $series");
                var oldestSeries = oldest.Parameters.Add("$series", SqliteType.Integer);
                foreach (var id in series)
                {
                    seriesParameter.Value = id;
                    limit.Value = budget;
                    var deleted = delete.ExecuteNonQuery();
                    _deleted += deleted;
                    budget -= deleted;
                    if (budget == 0)
                    {
                        // This series may hold more: the next slice starts with it again.
                        more = true;
                        break;
                    }
                    if (_table == 0)
                    {
                        oldestSeries.Value = id;
                        if (oldest.ExecuteScalar() is long ts && (_oldestRaw is null || ts < _oldestRaw))
                            _oldestRaw = ts;
                    }
                    _cursor = id;
                }
                transaction.Commit();
            }
            if (more) return false;
            _cursor = 0;
            _table = (_table + 1) % 3;
            if (_table != 0) return false;
            LastPass = new RetentionPass(_oldestRaw is { } o ? EmbeddedStore.FromUnixNanoseconds(o) : null, time.GetUtcNow(), _deleted);
            if (_deleted > 0)
                logger.LogInformation("Retention deleted {Rows} expired rows from the embedded store", _deleted);
            _oldestRaw = null;
            _deleted = 0;
            return true;
        }
    }

    /// <summary>Runs slices until a whole pass has ended.</summary>
    internal void CompactAll(CancellationToken cancellationToken = default)
    {
        while (!CompactSlice()) cancellationToken.ThrowIfCancellationRequested();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        // Off the start-up path: the first pass over a large file takes a while.
        await Task.Yield();
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            try
            {
                while (!CompactSlice())
                {
                    stoppingToken.ThrowIfCancellationRequested();
                    // Between slices the writer gets the lock.
                    await Task.Yield();
                }
            }
            catch (SqliteException ex)
            {
                logger.LogWarning(ex, "Retention of the embedded store failed; it tries again in {Interval}", options.Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }
}
