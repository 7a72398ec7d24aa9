using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace Ioc.TimeSeries;

/// <summary>
/// Grain state in the embedded store's SQLite file, so that the one-command hub keeps units' latest
/// values (and later alert state) across a restart. Writes are checked against the ETag the grain
/// last read, as Orleans expects of a storage provider. SQLite calls are synchronous, so they run on
/// the thread pool rather than block the grain scheduler. Commits skip the fsync
/// (<see cref="EmbeddedStore.OpenForState"/>): a killed process loses nothing, a power cut the last
/// moments of state, while a thousand units saving every two seconds no longer queue behind the disk.
/// </summary>
public sealed class EmbeddedGrainStorage(EmbeddedStore store, IGrainStorageSerializer serializer, IOptions<ClusterOptions> cluster)
    : IGrainStorage
{
    private readonly string _service = cluster.Value.ServiceId;
    // SQLite has one writer at a time. Writers queue here without holding a thread, rather than each
    // blocking a thread-pool thread in SQLite's busy wait: hundreds of units saving at once would
    // otherwise starve the pool that Orleans and Kestrel run on.
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Task.Run(() => Read(stateName, grainId, grainState));

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Exclusive(() => Write(stateName, grainId, grainState));

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Exclusive(() => Clear(stateName, grainId, grainState));

    /// <summary>
    /// The keys of the grains that have <paramref name="stateName"/> stored (say, every unit with values to
    /// restore), so that start-up activates those and leaves alone the ones with nothing to restore.
    /// </summary>
    public Task<IReadOnlySet<string>> KeysWithState(string stateName) => Task.Run(() =>
    {
        using var connection = store.OpenForState();
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

    private async Task Exclusive(Action write)
    {
        await _writer.WaitAsync();
        try
        {
            await Task.Run(write);
        }
        finally
        {
            _writer.Release();
        }
    }

    private void Read<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var connection = store.OpenForState();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, data FROM grain_state WHERE service = $service AND state = $state AND grain = $grain";
        Key(command, stateName, grainId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = reader.GetInt64(0).ToString(CultureInfo.InvariantCulture);
        grainState.State = serializer.Deserialize<T>(new BinaryData((byte[])reader.GetValue(1)));
        grainState.RecordExists = true;
    }

    private void Write<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var connection = store.OpenForState();
        using var command = connection.CreateCommand();
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
        command.Parameters.AddWithValue("$data", serializer.Serialize(grainState.State).ToArray());
        if (grainState.ETag is { } etag)
            command.Parameters.AddWithValue("$etag", long.Parse(etag, CultureInfo.InvariantCulture));
        if (command.ExecuteScalar() is not long written)
            throw new InconsistentStateException(
                $"The stored '{stateName}' state of {grainId} changed since it was read.", "unknown", grainState.ETag ?? "none");
        grainState.ETag = written.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    private void Clear<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        using var connection = store.OpenForState();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM grain_state WHERE service = $service AND state = $state AND grain = $grain";
        Key(command, stateName, grainId);
        command.ExecuteNonQuery();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private void Key(SqliteCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.AddWithValue("$service", _service);
        command.Parameters.AddWithValue("$state", stateName);
        command.Parameters.AddWithValue("$grain", grainId.ToString());
    }
}
