using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Ioc.ServiceDefaults;

/// <summary>Connects a Gateway or Ingest process that runs apart from the silos.</summary>
public static class ClusterClientExtensions
{
    /// <summary>Readiness condition met once the process has joined the cluster as a client.</summary>
    public const string ClusterConnected = "client connected";

    /// <summary>Makes this process an Orleans client of the cluster named in configuration.</summary>
    public static IHostApplicationBuilder AddClusterClient(this IHostApplicationBuilder builder)
    {
        var cluster = HubClusterOptions.Bind(builder);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            client.AddActivityPropagation();
            if (cluster.Mode == ClusterMode.Postgres)
            {
                var connectionString = HubClusterOptions.ConnectionString(builder.Configuration);
                client.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (PostgresInvariant, connectionString));
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayListRefreshPeriod);
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
                // Pods start in any order: a client that finds no silo yet waits for one instead of exiting.
                client.Services.AddSingleton<IClientConnectionRetryFilter, WaitForSilos>();
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
            }
        });
        // The Orleans client's own hosted service has connected by the time this one starts.
        builder.Services.AddReadinessOnStart(ClusterConnected);
        return builder;
    }

    /// <summary>The ADO.NET invariant name of the PostgreSQL provider (Npgsql).</summary>
    public const string PostgresInvariant = "Npgsql";

    private sealed class WaitForSilos(TimeProvider time, ILogger<WaitForSilos> logger) : IClientConnectionRetryFilter
    {
        private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning("No silo of the cluster is reachable yet ({Reason}); retrying in {Delay}", exception.Message, RetryDelay);
            await Task.Delay(RetryDelay, time, cancellationToken);
            return true;
        }
    }
}
