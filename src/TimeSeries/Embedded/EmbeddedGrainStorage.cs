using System.Buffers;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Ioc.TimeSeries;

/// <summary>
/// Grain state in the embedded store's state file (<c>state.db</c>), so that the one-command hub keeps units' latest
/// values and alert state across a restart. Writes are checked against the ETag the grain last read, as
/// Orleans expects of a storage provider. Commits skip the fsync (<see cref="EmbeddedStore.OpenState"/>):
/// a killed process loses nothing, a power cut the last moments of state.
/// </summary>
/// <remarks>
/// <para>
/// Writes are committed in groups: every write handed over while a commit is running goes into the next
/// commit, one transaction for all of them. At 20,000 units saving every two seconds that is 10,000 writes a
/// second, which one transaction each (a connection, a statement, a commit) could not keep up with: the units
/// queued behind SQLite's one writer, and the live path's points queued behind them as grain calls. A group
/// costs one commit however many it carries, so the cost follows the writes, not the commits.
/// </para>
/// <para>
/// A grain's state is serialized as the write is handed over, on the grain's own turn, so the grain may change
/// it again while the write waits for its group. It is written in Orleans' binary format, behind a leading
/// <see cref="BinaryFormat"/> byte; state written before that (JSON, which never starts with that byte) still
/// reads, with the silo's grain storage serializer, and is rewritten in the binary format at the grain's next save.
/// </para>
/// </remarks>
public sealed class EmbeddedGrainStorage(
    EmbeddedStore store, Serializer serializer, IGrainStorageSerializer earlierFormat, IOptions<ClusterOptions> cluster)
    : IGrainStorage, IDisposable
{
    /// <summary>The first byte of state in Orleans' binary format.</summary>
    internal const byte BinaryFormat = 1;

    private readonly string _service = cluster.Value.ServiceId;
    private readonly Lock _lock = new();
    private List<Change> _pending = [];
    private List<Change> _spare = [];
    private bool _committing;
    // Released once each time a commit run is wanted; the committer thread, started at the first write, takes it.
    private readonly SemaphoreSlim _commitWanted = new(0);
    private Thread? _committer;
    // Set when the host lets go of the storage: the committer commits what is left and ends.
    private bool _disposed;

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Task.Run(() => Read(stateName, grainId, grainState));

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var data = new ArrayBufferWriter<byte>(256);
        data.GetSpan(1)[0] = BinaryFormat;
        data.Advance(1);
        serializer.Serialize(grainState.State, data);
        return Hand(new Change(stateName, grainId, Setter(grainState), grainState.ETag, data.WrittenSpan.ToArray()));
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Hand(new Change(stateName, grainId, Setter(grainState), grainState.ETag, Data: null));

    // Sets what the grain's state knows of its record once the commit has ended.
    private static Action<string?, bool> Setter<T>(IGrainState<T> grainState) => (etag, exists) =>
    {
        grainState.ETag = etag;
        grainState.RecordExists = exists;
    };

    /// <summary>
    /// The keys of the grains that have <paramref name="stateName"/> stored (say, every unit with values to
    /// restore), so that start-up activates those and leaves alone the ones with nothing to restore.
    /// </summary>
    public Task<IReadOnlySet<string>> KeysWithState(string stateName) => Task.Run(() =>
    {
        using var connection = store.OpenState();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain FROM grain_state WHERE service = $service AND state = $state";
        command.Parameters.AddWithValue("$service", _service);
        command.Parameters.AddWithValue("$state", stateName);
        using var reader = command.ExecuteReader();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
            keys.Add(GrainId.Parse(reader.GetString(0)).Key.ToString());
        return (IReadOnlySet<string>)keys;
    });

    // Queues a change for the next commit, and starts committing if nothing is.
    private Task Hand(Change change)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.Add(change);
            if (_committing)
                return change.Done.Task;
            _committing = true;
            _committer ??= StartCommitter();
        }
        _commitWanted.Release();
        return change.Done.Task;
    }

    // SQLite's calls block, and at 20,000 units the commits run back to back: on the thread pool they held one of a
    // 2-core machine's two threads for good, and a burst of other work (a reconnect storm) waited for the pool to add
    // threads. So they run on a thread of their own, one commit at a time, never on a grain's scheduler.
    private Thread StartCommitter()
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                _commitWanted.Wait();
                CommitAll();
                if (Volatile.Read(ref _disposed))
                    return;
            }
        })
        { IsBackground = true, Name = "Grain state committer" };
        thread.Start();
        return thread;
    }

    /// <summary>Ends the committer thread once it has committed what is queued; a hub stopped and started in one process (the tests) leaves none behind.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _commitWanted.Release();
    }

    private void CommitAll()
    {
        while (true)
        {
            List<Change> group;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _committing = false;
                    return;
                }
                (group, _pending, _spare) = (_pending, _spare, _pending);
            }
            Commit(group);
            group.Clear();
        }
    }

    // One transaction for the group. A write whose ETag no longer matches is refused on its own; the others commit.
    private void Commit(List<Change> group)
    {
        var written = new long?[group.Count];
        try
        {
            using var connection = store.OpenState();
            using var transaction = connection.BeginTransaction();
            using var insert = Statement(connection, """
                INSERT INTO grain_state (service, state, grain, etag, data) VALUES ($service, $state, $grain, 1, $data)
                ON CONFLICT DO NOTHING RETURNING etag
                """);
            using var update = Statement(connection, """
                UPDATE grain_state SET etag = etag + 1, data = $data
                WHERE service = $service AND state = $state AND grain = $grain AND etag = $etag RETURNING etag
                """);
            using var delete = Statement(connection, "DELETE FROM grain_state WHERE service = $service AND state = $state AND grain = $grain");
            for (var i = 0; i < group.Count; i++)
            {
                var change = group[i];
                if (change.Data is null)
                {
                    Bind(delete, change).ExecuteNonQuery();
                    continue;
                }
                // A new record needs no ETag; an existing one the ETag last read, or another activation wrote in between.
                var command = Bind(change.ETag is null ? insert : update, change);
                command.Parameters["$data"].Value = change.Data;
                if (change.ETag is { } etag)
                    command.Parameters["$etag"].Value = long.Parse(etag, CultureInfo.InvariantCulture);
                written[i] = command.ExecuteScalar() as long?;
            }
            transaction.Commit();
        }
        catch (Exception ex)
        {
            foreach (var change in group)
                change.Done.TrySetException(ex);
            return;
        }
        for (var i = 0; i < group.Count; i++)
            group[i].Ended(written[i]);
    }

    private SqliteCommand Statement(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", _service);
        foreach (var name in new[] { "$state", "$grain", "$data", "$etag" })
            if (sql.Contains(name, StringComparison.Ordinal))
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    private static SqliteCommand Bind(SqliteCommand command, Change change)
    {
        command.Parameters["$state"].Value = change.StateName;
        command.Parameters["$grain"].Value = change.GrainId.ToString();
        return command;
    }

    private void Read<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var connection = store.OpenState();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, data FROM grain_state WHERE service = $service AND state = $state AND grain = $grain";
        command.Parameters.AddWithValue("$service", _service);
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
        var data = (byte[])reader.GetValue(1);
        grainState.State = data is [BinaryFormat, ..]
            ? serializer.Deserialize<T>(data.AsMemory(1))
            : earlierFormat.Deserialize<T>(new BinaryData(data));
        grainState.RecordExists = true;
    }

    /// <summary>A write (with <see cref="Data"/>) or a clear, waiting for its commit.</summary>
    private sealed record Change(string StateName, GrainId GrainId, Action<string?, bool> Set, string? ETag, byte[]? Data)
    {
        // Completed off the committing thread: the grain's continuation must not run on it.
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Ended(long? written)
        {
            if (Data is null)
                Set(null, false);
            else if (written is not { } etag)
            {
                Done.TrySetException(new InconsistentStateException(
                    $"The stored '{StateName}' state of {GrainId} changed since it was read.", "unknown", ETag ?? "none"));
                return;
            }
            else
                Set(etag.ToString(CultureInfo.InvariantCulture), true);
            Done.TrySetResult();
        }
    }
}
