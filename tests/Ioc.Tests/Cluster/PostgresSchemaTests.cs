using Ioc.Silo.Hosting;
using Npgsql;

namespace Ioc.Tests.Cluster;

public sealed class PostgresSchemaTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    /// <summary>Every query key the Orleans ADO.NET clustering and persistence providers (10.4) read at start-up.</summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey",
    ];

    [Fact]
    public async Task The_schema_applies_by_psql_and_again_by_silos_starting_together_and_holds_every_provider_query()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync("schema");
        var connectionString = postgres.ConnectionString(database);

        await postgres.ApplySchemaWithPsqlAsync(database);
        await postgres.ApplySchemaWithPsqlAsync(database);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostgresCluster.ApplySchemaAsync(connectionString, ct)));

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) keys.Add(reader.GetString(0));
        Assert.Equal(ProviderQueryKeys.Order(), keys.Order());
    }

    [Fact]
    public async Task A_stale_grain_state_write_is_refused_and_leaves_the_stored_state_alone()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync("storage");
        await postgres.ApplySchemaWithPsqlAsync(database);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString(database));
        await connection.OpenAsync(ct);

        async Task<int?> Write(int? expectedVersion, byte[] payload)
        {
            var text = await Query(connection, "WriteToStorageKey", ct);
            await using var write = new NpgsqlCommand(text, connection);
            AddKey(write);
            write.Parameters.AddWithValue("GrainStateVersion", (object?)expectedVersion ?? DBNull.Value);
            write.Parameters.AddWithValue("PayloadBinary", payload);
            return await write.ExecuteScalarAsync(ct) as int?;
        }

        Assert.Equal(1, await Write(null, [1]));
        Assert.Null(await Write(null, [2]));        // a second first write loses
        Assert.Equal(2, await Write(1, [3]));
        Assert.Equal(1, await Write(1, [4]));       // stale: the old version comes back, which the provider refuses

        await using var read = new NpgsqlCommand(await Query(connection, "ReadFromStorageKey", ct), connection);
        AddKey(read);
        await using var row = await read.ExecuteReaderAsync(ct);
        Assert.True(await row.ReadAsync(ct));
        Assert.Equal(new byte[] { 3 }, row.GetFieldValue<byte[]>(row.GetOrdinal("PayloadBinary")));
        Assert.Equal(2, row.GetInt32(row.GetOrdinal("Version")));
    }

    private static void AddKey(NpgsqlCommand command)
    {
        // What the provider passes for the string-keyed grain unit/van-lam-air-1.
        command.Parameters.AddWithValue("GrainIdHash", 17);
        command.Parameters.AddWithValue("GrainIdN0", 0L);
        command.Parameters.AddWithValue("GrainIdN1", 0L);
        command.Parameters.AddWithValue("GrainTypeHash", 23);
        command.Parameters.AddWithValue("GrainTypeString", "unit");
        command.Parameters.AddWithValue("GrainIdExtensionString", "van-lam-air-1");
        command.Parameters.AddWithValue("ServiceId", "hung-yen-ioc");
    }

    private static async Task<string> Query(NpgsqlConnection connection, string key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", connection);
        command.Parameters.AddWithValue("key", key);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }
}
