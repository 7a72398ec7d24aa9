using System.Globalization;
using Ioc.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Ioc.Silo.Hosting;

/// <summary>
/// Grain state in the embedded store's SQLite file, so that the one-command hub keeps units' latest
/// values (and later alert state) across a restart. Writes are checked against the ETag the grain
/// last read, as Orleans expects of a storage provider.
/// </summary>
/// <remarks>
/// SQLite calls are synchronous and every commit waits for an fsync, so they run on one thread of their
/// own, never on the thread pool: a thousand units saving at once used to park one pool thread each on
/// SQLite's write lock, and with the pool starved, ingest, the grain scheduler and health checks all
/// stalled for seconds at a time. That thread takes whatever operations queued up while it was busy and
/// runs them in one transaction (group commit: one fsync for the lot); a grain sees its result only
/// after the commit.
/// </remarks>
public sealed class EmbeddedGrainStorage : IGrainStorage
{
    private const int MaxGroup = 2048;

    private readonly EmbeddedStore _store;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ILogger _logger;
    private readonly string _service;
    // Operations waiting for the storage thread. A plain object, for Monitor.Wait/Pulse.
    private readonly object _gate = new();
    private List<Operation> _pending = [];

    /// <summary>Starts the storage thread.</summary>
    public EmbeddedGrainStorage(
        EmbeddedStore store, IGrainStorageSerializer serializer, IOptions<ClusterOptions> cluster, ILogger<EmbeddedGrainStorage> logger)
    {
        (_store, _serializer, _logger, _service) = (store, serializer, logger, cluster.Value.ServiceId);
        // A background thread: it ends with the process, so saves made while the silo shuts down still complete.
        new Thread(Run) { IsBackground = true, Name = "Grain storage" }.Start();
    }

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Enqueue((connection, transaction) => Read(connection, transaction, stateName, grainId, grainState));

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Enqueue((connection, transaction) => Write(connection, transaction, stateName, grainId, grainState));

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Enqueue((connection, transaction) => Clear(connection, transaction, stateName, grainId, grainState));

    private Task Enqueue(Func<SqliteConnection, SqliteTransaction, Action> work)
    {
        var operation = new Operation(work);
        lock (_gate)
        {
            _pending.Add(operation);
            if (_pending.Count == 1) Monitor.Pulse(_gate);
        }
        return operation.Done.Task;
    }

    private void Run()
    {
        var group = new List<Operation>();
        while (true)
        {
            lock (_gate)
            {
                while (_pending.Count == 0) Monitor.Wait(_gate);
                if (_pending.Count <= MaxGroup)
                {
                    (_pending, group) = (group, _pending);
                }
                else
                {
                    group.AddRange(_pending.Take(MaxGroup));
                    _pending.RemoveRange(0, MaxGroup);
                }
            }
            try
            {
                RunGroup(group);
            }
            catch (Exception ex)
            {
                // An exception escaping this thread would end the process (a logger already disposed at
                // shutdown, say): fail the group instead and carry on.
                foreach (var operation in group) operation.Done.TrySetException(ex);
            }
            group.Clear();
        }
    }

    private void RunGroup(List<Operation> group)
    {
        // What each operation does to its grain's state once the transaction is committed; or why it failed.
        var outcomes = new (Action? Apply, Exception? Error)[group.Count];
        try
        {
            using var connection = _store.Open();
            using var transaction = connection.BeginTransaction();
            for (var i = 0; i < group.Count; i++)
            {
                try
                {
                    outcomes[i] = (group[i].Work(connection, transaction), null);
                }
                catch (Exception ex) when (ex is InconsistentStateException or SqliteException { SqliteErrorCode: not (SQLITE_BUSY or SQLITE_FULL or SQLITE_IOERR) })
                {
                    // This grain's statement failed on its own (a stale ETag, bad data); the others still commit.
                    outcomes[i] = (null, ex);
                }
            }
            transaction.Commit();
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Could not save or read the state of {Count} grains", group.Count);
            foreach (var operation in group) operation.Done.TrySetException(ex);
            return;
        }
        for (var i = 0; i < group.Count; i++)
        {
            var (apply, error) = outcomes[i];
            if (error is not null)
            {
                group[i].Done.TrySetException(error);
                continue;
            }
            try
            {
                apply!();
                group[i].Done.TrySetResult();
            }
            catch (Exception ex)
            {
                group[i].Done.TrySetException(ex);
            }
        }
    }

    private const int SQLITE_BUSY = 5;
    private const int SQLITE_IOERR = 10;
    private const int SQLITE_FULL = 13;

    private Action Read<T>(SqliteConnection connection, SqliteTransaction transaction, string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT etag, data FROM grain_state WHERE service = $service AND state = $state AND grain = $grain";
        Key(command, stateName, grainId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return () =>
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
            };
        }
        var etag = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
        var data = (byte[])reader.GetValue(1);
        return () =>
        {
            grainState.State = _serializer.Deserialize<T>(new BinaryData(data));
            grainState.ETag = etag;
            grainState.RecordExists = true;
        };
    }

    private Action Write<T>(SqliteConnection connection, SqliteTransaction transaction, string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // A new record needs no ETag; an existing one the ETag last read, or another activation wrote in between.
        command.CommandText = grainState.ETag is null
            ? """
              INSERT INTO grain_state (service, state, grain, etag, data) VALUES ($service, $state, $grain, 1, $data)
              ON CONFLICT DO NOTHING RETURNING etag
              """
            : """
              UPDATE grain_state SET etag = etag + 1, data = $data
              WHERE service = $service AND state = $state AND grain = $grain AND etag = $etag RETURNING etag
              """;
        Key(command, stateName, grainId);
        command.Parameters.AddWithValue("$data", _serializer.Serialize(grainState.State).ToArray());
        if (grainState.ETag is { } etag)
            command.Parameters.AddWithValue("$etag", long.Parse(etag, CultureInfo.InvariantCulture));
        if (command.ExecuteScalar() is not long written)
            throw new InconsistentStateException(
                $"The stored '{stateName}' state of {grainId} changed since it was read.", "unknown", grainState.ETag ?? "none");
        return () =>
        {
            grainState.ETag = written.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        };
    }

    private Action Clear<T>(SqliteConnection connection, SqliteTransaction transaction, string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM grain_state WHERE service = $service AND state = $state AND grain = $grain";
        Key(command, stateName, grainId);
        command.ExecuteNonQuery();
        return () =>
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        };
    }

    private void Key(SqliteCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.AddWithValue("$service", _service);
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
    }

    private sealed class Operation(Func<SqliteConnection, SqliteTransaction, Action> work)
    {
        public Func<SqliteConnection, SqliteTransaction, Action> Work { get; } = work;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
