using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Ioc.ServiceDefaults;

/// <summary>Connects a Gateway or Ingest process that runs apart from the silos.</summary>
public static class ClusterClientExtensions
{
    /// <summary>Readiness condition met once the process has joined the cluster as a client.</summary>
    public const string ClusterConnected = "cluster";

    /// <summary>Makes this process an Orleans client of the cluster named in configuration.</summary>
    public static IHostApplicationBuilder AddClusterClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubClusterOptions>().BindConfiguration(HubClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var cluster = builder.Configuration.GetSection(HubClusterOptions.Section).Get<HubClusterOptions>() ?? new HubClusterOptions();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
        });
        builder.Services.AddHostedService<ClusterConnectedSignal>();
        return builder;
    }

    // The Orleans client's own hosted service has connected by the time this one starts.
    private sealed class ClusterConnectedSignal(Readiness readiness) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            readiness.Met(ClusterConnected);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
