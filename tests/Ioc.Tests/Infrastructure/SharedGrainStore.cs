using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// Grain storage that outlives the clusters using it, as a database outlives the silo processes: each
/// cluster built over the same store reads what the previous one wrote. States are kept serialised,
/// so a new activation never shares an object with an old one, and writes check ETags as real
/// storage does.
/// </summary>
public sealed class SharedGrainStore
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), (byte[] Data, string ETag)> _records = new();

    /// <summary>This store as seen from one silo, serialising with that silo's serializer.</summary>
    public IGrainStorage For(IServiceProvider silo) => new View(this, silo.GetRequiredService<Serializer>());

    /// <summary>The names of the states stored for <paramref name="grain"/>, in ordinal order.</summary>
    public IReadOnlyList<string> StatesOf(GrainId grain) =>
        [.. _records.Keys.Where(k => k.Grain.Equals(grain)).Select(k => k.State).Order(StringComparer.Ordinal)];

    /// <summary>A stored state as <paramref name="serializer"/> reads it, or default when none is stored.</summary>
    public T? Read<T>(string stateName, GrainId grain, Serializer serializer) =>
        _records.TryGetValue((stateName, grain), out var record) ? serializer.Deserialize<T>(record.Data) : default;

    private sealed class View(SharedGrainStore store, Serializer serializer) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (store._records.TryGetValue((stateName, grainId), out var record))
            {
                grainState.State = serializer.Deserialize<T>(record.Data);
                grainState.ETag = record.ETag;
                grainState.RecordExists = true;
            }
            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            lock (store._records)
            {
                if (store._records.TryGetValue((stateName, grainId), out var current) && current.ETag != grainState.ETag)
                    throw new InconsistentStateException($"ETag mismatch writing {stateName} of {grainId}", current.ETag, grainState.ETag);
                var etag = Guid.NewGuid().ToString("N");
                store._records[(stateName, grainId)] = (serializer.SerializeToArray(grainState.State), etag);
                grainState.ETag = etag;
                grainState.RecordExists = true;
            }
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            store._records.TryRemove((stateName, grainId), out _);
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
    }
}
