using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Ioc.Silo.Grains;
using Ioc.TimeSeries;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;

namespace Ioc.Silo.Hosting;

/// <summary>Makes this process an Orleans silo hosting the hub's grains.</summary>
public static class SiloExtensions
{
    /// <summary>Readiness condition met once the silo runs and every catalog entity is active.</summary>
    public const string SiloStarted = "silo joined and catalog entities active";

    /// <summary>
    /// Whether this silo process also serves screens and takes telemetry: only the one-command hub
    /// (<see cref="ClusterMode.Localhost"/>). In a real cluster Gateway and Ingest are processes of their own.
    /// </summary>
    public static bool CoHostsGatewayAndIngest(this IHostApplicationBuilder builder) =>
        builder.Configuration.GetSection(HubClusterOptions.Section).Get<HubClusterOptions>() is not { Mode: not ClusterMode.Localhost };

    /// <summary>Adds the silo; clustering and storage follow the <c>Cluster</c> configuration.</summary>
    public static IHostApplicationBuilder AddHubSilo(this IHostApplicationBuilder builder)
    {
        var cluster = HubClusterOptions.Bind(builder);
        builder.Services.AddOptions<AlertOptions>().BindStrictly(AlertOptions.Section).ValidateOnStart();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            silo.AddActivityPropagation();
            if (cluster.Mode == ClusterMode.Postgres)
            {
                silo.UsePostgresCluster(cluster, builder.Configuration);
                return;
            }
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            // Grain state goes to the same SQLite file as the embedded time-series store.
            silo.Services.AddGrainStorage(StateStorage.Name, (sp, _) => ActivatorUtilities.CreateInstance<EmbeddedGrainStorage>(sp));
        });
        builder.Services.AddHostedService<CatalogWarmup>();
        // Active units, for a live path in this process to reach without a grain call.
        builder.Services.AddSingleton<LocalUnits>();
        return builder;
    }
}

/// <summary>
/// Activates every entity in the catalog once the silo has started, so that units restore their
/// values and start their offline timers, and the roll-ups are whole before the hub reports ready.
/// </summary>
internal sealed class CatalogWarmup(Catalog catalog, IGrainFactory grains, Readiness readiness, TimeProvider time, ILogger<CatalogWarmup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Require(SiloExtensions.SiloStarted);
        var started = time.GetTimestamp();
        foreach (var chunk in catalog.Entities.Chunk(256))
            await Task.WhenAll(chunk.Select(e => Activate(e, cancellationToken)));
        readiness.Met(SiloExtensions.SiloStarted);
        logger.LogInformation("Activated {Count} catalog entities in {Elapsed}", catalog.Entities.Length, time.GetElapsedTime(started));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Silos that start together on a busy machine can take longer than the response timeout to activate a
    // first batch (the cluster is still forming, the code is still being compiled). That is no reason to end
    // the process: the activation goes on, and asking again finds it.
    private async Task Activate(CatalogEntity entity, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.For(entity).GetSnapshot();
                return;
            }
            catch (TimeoutException) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Activating {EntityId} timed out (attempt {Attempt} of {MaxAttempts}); asking again", entity.Id, attempt, MaxAttempts);
            }
        }
    }

    private const int MaxAttempts = 5;
}
