using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Npgsql;
using Orleans.Configuration;

namespace Ioc.Silo.Hosting;

/// <summary>The silo side of <see cref="ClusterMode.Postgres"/>: membership and the hub's grain state in PostgreSQL.</summary>
public static class PostgresCluster
{
    /// <summary>
    /// Clusters through the ADO.NET membership table, stores <see cref="StateStorage.Name"/> grain state in
    /// PostgreSQL, advertises the configured (pod) address, and applies the schema first when asked to.
    /// Membership timings can be tuned under <c>Cluster:Membership</c> (Orleans' <see cref="ClusterMembershipOptions"/>).
    /// </summary>
    public static ISiloBuilder UsePostgresCluster(this ISiloBuilder silo, HubClusterOptions cluster, IConfiguration configuration)
    {
        var connectionString = HubClusterOptions.ConnectionString(configuration);
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = cluster.SiloPort;
            o.GatewayPort = cluster.GatewayPort;
            if (cluster.AdvertisedIPAddress is { } address)
                o.AdvertisedIPAddress = address;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
        if (cluster.SiloName is { Length: > 0 } name)
            silo.Configure<SiloOptions>(o => o.SiloName = name);
        silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration($"{HubClusterOptions.Section}:Membership", StrictBinding.Strict);
        silo.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (ClusterClientExtensions.PostgresInvariant, connectionString));
        silo.AddAdoNetGrainStorage(StateStorage.Name, o => (o.Invariant, o.ConnectionString) = (ClusterClientExtensions.PostgresInvariant, connectionString));
        if (cluster.ApplySchema)
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
                new SchemaBeforeStart(connectionString, sp.GetRequiredService<ILogger<SchemaBeforeStart>>()));
        return silo;
    }

    /// <summary>Applies the scripts in <c>deploy/postgres</c>, in order, in one transaction, under an advisory lock.</summary>
    /// <remarks>The scripts are idempotent, and the lock keeps silos that start together from interleaving them.</remarks>
    public static async Task ApplySchemaAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('ioc-hub orleans schema'))", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        foreach (var script in SchemaScripts())
        {
            await using var command = new NpgsqlCommand(script, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The schema scripts, in the order they apply.</summary>
    public static IEnumerable<string> SchemaScripts()
    {
        var assembly = typeof(PostgresCluster).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("postgres/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return reader.ReadToEnd();
        }
    }

    // Runs before anything in the silo touches the store: the membership table and grain storage read their queries from it.
    private sealed class SchemaBeforeStart(string connectionString, ILogger<SchemaBeforeStart> logger) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaBeforeStart), ServiceLifecycleStage.First, async cancellationToken =>
            {
                await ApplySchemaAsync(connectionString, cancellationToken);
                logger.LogInformation("Applied the Orleans schema to PostgreSQL");
            });
    }
}
