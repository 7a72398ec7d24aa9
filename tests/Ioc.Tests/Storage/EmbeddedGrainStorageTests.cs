using Ioc.Silo.Grains;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Ioc.Tests.Storage;

/// <summary>
/// Grain state in the embedded store, without a silo: the storage provider on a real SQLite file, with Orleans'
/// own serializers. Writes handed over together are committed together, each still checked against its ETag.
/// </summary>
public sealed class EmbeddedGrainStorageTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(UnitState).Assembly).AddAssembly(typeof(MetricPoint).Assembly))
        .BuildServiceProvider();

    private readonly TempFolder _directory = new("ioc-grain-state-");
    private readonly EmbeddedStore _store;
    private readonly JsonGrainStorageSerializer _json = new(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));
    private readonly EmbeddedGrainStorage _storage;

    public EmbeddedGrainStorageTests()
    {
        _store = EmbeddedStores.In(_directory);
        _storage = new EmbeddedGrainStorage(_store, Services.GetRequiredService<Serializer>(), _json,
            Options.Create(new ClusterOptions { ServiceId = "ioc" }));
    }

    [Fact]
    public async Task State_written_reads_back_and_a_write_with_an_etag_read_before_it_is_refused()
    {
        var first = new GrainState<UnitState>(Unit(42.5));
        await _storage.WriteStateAsync("unit", UnitId(1), first);
        var stale = new GrainState<UnitState>(Unit(1)) { ETag = first.ETag };
        await _storage.WriteStateAsync("unit", UnitId(1), first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("unit", UnitId(1), stale));
        var back = await Read(UnitId(1));
        Assert.True(back.RecordExists);
        Assert.Equal(first.ETag, back.ETag);
        Assert.Equal(Values(first.State), Values(back.State));
    }

    [Fact]
    public async Task Writes_handed_over_together_all_land_and_a_refused_one_leaves_the_others_written()
    {
        var states = Enumerable.Range(0, 300).Select(i => new GrainState<UnitState>(Unit(i))).ToArray();
        await Task.WhenAll(states.Select((s, i) => _storage.WriteStateAsync("unit", UnitId(i), s)));
        // A second activation of unit 7 that read before the first wrote: its insert finds a record.
        var rival = new GrainState<UnitState>(Unit(-1));
        foreach (var s in states)
            s.State!.LastReport = At.AddSeconds(2);

        var writes = states.Select((s, i) => _storage.WriteStateAsync("unit", UnitId(i), s)).ToList();
        var refused = _storage.WriteStateAsync("unit", UnitId(7), rival);
        await Task.WhenAll(writes);
        await Assert.ThrowsAsync<InconsistentStateException>(() => refused);

        for (var i = 0; i < states.Length; i++)
        {
            var back = await Read(UnitId(i));
            Assert.Equal("2", back.ETag);
            Assert.Equal(Values(states[i].State), Values(back.State));
        }
    }

    [Fact]
    public async Task State_stored_as_json_by_an_earlier_version_still_reads_and_the_next_save_writes_it_anew()
    {
        var earlier = Unit(17.25);
        using (var connection = _store.OpenState())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "INSERT INTO grain_state (service, state, grain, etag, data) VALUES ('ioc', 'unit', $grain, 4, $data)";
            command.Parameters.AddWithValue("$grain", UnitId(3).ToString());
            command.Parameters.AddWithValue("$data", _json.Serialize(earlier).ToArray());
            command.ExecuteNonQuery();
        }

        var back = await Read(UnitId(3));
        Assert.Equal(("4", Values(earlier)), (back.ETag, Values(back.State)));
        back.State!.LastReport = At.AddMinutes(1);
        await _storage.WriteStateAsync("unit", UnitId(3), back);
        var again = await Read(UnitId(3));
        Assert.Equal(("5", Values(back.State)), (again.ETag, Values(again.State)));
    }

    [Fact]
    public async Task Grain_state_an_earlier_version_kept_in_the_file_of_points_moves_to_its_own_file_and_reads_as_before()
    {
        using var earlier = new TempFolder("ioc-grain-state-earlier-");
        var state = Unit(33.5);
        // hub.db as an earlier version left it: the points' file, with the grain state in it.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(earlier, "hub.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE grain_state (service TEXT NOT NULL, state TEXT NOT NULL, grain TEXT NOT NULL, etag INTEGER NOT NULL,
                    data BLOB NOT NULL, PRIMARY KEY (service, state, grain)) WITHOUT ROWID;
                INSERT INTO grain_state (service, state, grain, etag, data) VALUES ('ioc', 'unit', $grain, 9, $data);
                """;
            command.Parameters.AddWithValue("$grain", UnitId(5).ToString());
            command.Parameters.AddWithValue("$data", _json.Serialize(state).ToArray());
            command.ExecuteNonQuery();
        }

        using var store = EmbeddedStores.In(earlier);
        var storage = new EmbeddedGrainStorage(store, Services.GetRequiredService<Serializer>(), _json, Options.Create(new ClusterOptions { ServiceId = "ioc" }));
        var back = new GrainState<UnitState>(new UnitState());
        await storage.ReadStateAsync("unit", UnitId(5), back);
        Assert.Equal(("9", Values(state)), (back.ETag, Values(back.State)));
        Assert.Equal(["unit-5"], await storage.KeysWithState("unit"));
        using var points = store.Open();
        using var tables = points.CreateCommand();
        tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'grain_state'";
        Assert.Equal(0L, tables.ExecuteScalar());
    }

    [Fact]
    public async Task Cleared_state_is_gone_and_the_next_write_starts_a_new_record()
    {
        var state = new GrainState<UnitState>(Unit(3));
        await _storage.WriteStateAsync("unit", UnitId(2), state);
        await _storage.ClearStateAsync("unit", UnitId(2), state);
        Assert.Equal((false, (string?)null), (state.RecordExists, state.ETag));
        Assert.False((await Read(UnitId(2))).RecordExists);

        await _storage.WriteStateAsync("unit", UnitId(2), state);
        Assert.Equal(("1", true), ((await Read(UnitId(2))).ETag, state.RecordExists));
    }

    private async Task<GrainState<UnitState>> Read(GrainId grain)
    {
        var state = new GrainState<UnitState>(new UnitState());
        await _storage.ReadStateAsync("unit", grain, state);
        return state;
    }

    private static GrainId UnitId(int i) => GrainId.Create("unit", $"unit-{i}");

    private static UnitState Unit(double pm25)
    {
        var state = new UnitState { LastReport = At };
        state.Latest["pm25"] = new MetricPoint("pm25", pm25, At);
        state.Latest["aqi"] = new MetricPoint("aqi", pm25 * 2, At.AddSeconds(-1));
        state.BelowTargetSince["pm25"] = At.AddMinutes(-5);
        state.Received.Total = 12;
        state.Received.Newest["pm25"] = At.UtcTicks;
        return state;
    }

    // What a unit restores, in a form that compares by value.
    private static string Values(UnitState? state)
    {
        Assert.NotNull(state);
        return string.Join("; ", state.Latest.OrderBy(p => p.Key).Select(p => $"{p.Value}")
            .Append($"last {state.LastReport:O}")
            .Concat(state.BelowTargetSince.Select(b => $"{b.Key} below since {b.Value:O}"))
            .Append($"received {state.Received.Total}")
            .Concat(state.Received.Newest.Select(n => $"{n.Key} newest {n.Value}")));
    }

    public void Dispose()
    {
        _store.Dispose();
        _directory.Dispose();
    }
}
