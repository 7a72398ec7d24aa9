using Ioc.Silo.Grains;
using Npgsql;

namespace Ioc.Tests.Alerts;

/// <summary>
/// Alert pages on the grain storage of cluster mode, PostgreSQL through Orleans' ADO.NET provider, which checks every
/// write and delete against the version it last read: a page is written, read back after a crash with its trails, and
/// deleted when pruning has taken all of it.
/// </summary>
public sealed class AlertPagesPostgresTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static Task<HubCluster> StartAsync(DateTimeOffset at, string connectionString) =>
        HubCluster.StartAsync(AlertsClusterFixture.Catalog(), at,
            alerts: o => o.ClearedRetention = TimeSpan.FromHours(1),
            configureSilo: silo =>
            {
                // The storage keys grains by service: both clusters are the same service, as a restarted hub is.
                silo.Services.PostConfigure<Orleans.Configuration.ClusterOptions>(o => o.ServiceId = "alert-pages");
                silo.AddAdoNetGrainStorage(StateStorage.Name,
                    o => (o.Invariant, o.ConnectionString) = (ClusterClientExtensions.PostgresInvariant, connectionString));
            });

    [Fact]
    public async Task A_page_of_cleared_alerts_is_stored_read_back_after_a_crash_and_deleted_when_pruned()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync("alert-pages");
        await postgres.ApplySchemaWithPsqlAsync(database);
        var connectionString = postgres.ConnectionString(database);
        var start = AlertsClusterFixture.Start;
        var cycles = AlertsGrain.PageSize + 4;
        IReadOnlyList<Alert> kept;
        AlertDetail first;
        await using (var cluster = await StartAsync(start, connectionString))
        {
            var mark = cluster.Feed.Mark();
            for (var n = 1; n <= cycles; n++)
            {
                var id = AlertIds.Of("gauge-1", n);
                await cluster.Report("gauge-1", ("water-level", 3.5));
                await cluster.Feed.Alert(a => a.Id == id, mark);
                await cluster.Report("gauge-1", ("water-level", 1.0));
                await cluster.Feed.Alert(a => a.Id == id && a.State == AlertState.Cleared, mark);
            }
            var alerts = cluster.Client.GetGrain<IAlertsGrain>("gauge-1");
            kept = [.. (await alerts.GetAlerts()).OrderBy(a => a.Id, StringComparer.Ordinal)];
            first = (await alerts.GetAlert(AlertIds.Of("gauge-1", 1)))!;
            Assert.Equal([AlertAction.Raised, AlertAction.Cleared], first.Trail.Select(e => e.Action));
            Assert.Equal(1, await Pages(connectionString, ct));
            await cluster.Kill();
        }

        await using var again = await StartAsync(start + TimeSpan.FromSeconds(10), connectionString);
        var restored = again.Client.GetGrain<IAlertsGrain>("gauge-1");
        Assert.Equal(kept, [.. (await restored.GetAlerts()).OrderBy(a => a.Id, StringComparer.Ordinal)]);
        Assert.Equal(cycles, kept.Count);
        var read = (await restored.GetAlert(first.Alert.Id))!;
        Assert.Equal(first.Alert, read.Alert);
        Assert.Equal(first.Trail, read.Trail);

        // Past the retention, the next change prunes every alert of the page and deletes it.
        var later = again.Feed.Mark();
        await again.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await again.Report("gauge-1", ("water-level", 3.5));
        await again.Feed.Alert(a => a.Entity == "gauge-1" && a.Metric == "water-level" && a.State == AlertState.Active, later);
        Assert.DoesNotContain(await restored.GetAlerts(), a => kept.Any(k => k.Id == a.Id));
        Assert.Equal(0, await Pages(connectionString, ct));
    }

    /// <summary>The stored pages with a payload: a deleted state may keep its row, without one.</summary>
    private static async Task<long> Pages(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orleans_grain_state WHERE grain_type LIKE 'alerts-page-%' AND payload IS NOT NULL", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
