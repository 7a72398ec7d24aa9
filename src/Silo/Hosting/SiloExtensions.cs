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
    /// <summary>Readiness condition met once the silo runs and every roll-up and every unit with state to restore is active.</summary>
    public const string SiloStarted = "silo joined, roll-ups and units with stored state active";

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
            silo.StartPushNotifier();
            if (cluster.Mode == ClusterMode.Postgres)
            {
                silo.UsePostgresCluster(cluster, builder.Configuration);
                return;
            }
            silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            // Grain state goes to the same SQLite file as the embedded time-series store.
            // Registered on its own too, so that start-up can ask it which units have anything to restore.
            silo.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<EmbeddedGrainStorage>(sp));
            silo.Services.AddGrainStorage(StateStorage.Name, (sp, _) => sp.GetRequiredService<EmbeddedGrainStorage>());
        });
        builder.Services.AddHostedService<CatalogWarmup>();
        // Active units, for a live path in this process to reach without a grain call.
        builder.Services.AddSingleton<LocalUnits>();
        // The silo's reports up the tree and to the wall, one call per parent and one publish per round.
        builder.Services.AddSingleton<UpwardReports>();
        return builder;
    }

    /// <summary>
    /// Activates this silo's push notifier as the silo starts (<see cref="IPushNotifierGrain.Start"/>), so that it knows
    /// the live feeds before it has an update to send. Called from the silo itself, the notifier is placed here.
    /// </summary>
    public static ISiloBuilder StartPushNotifier(this ISiloBuilder silo) =>
        silo.AddStartupTask(async (services, _) =>
        {
            try
            {
                await services.GetRequiredService<IGrainFactory>()
                    .GetGrain<IPushNotifierGrain>(services.GetRequiredService<IGrainRuntime>().SiloIdentity).Start();
            }
            catch (Exception ex)
            {
                // A start-up task that throws stops the silo; the notifier also activates with the silo's first update.
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PushNotifierGrain))
                    .LogWarning(ex, "Could not start this silo's push notifier; it starts with the first update instead");
            }
        });
}

/// <summary>
/// Activates what must be whole before the hub reports ready: every roll-up (the province, localities,
/// departments and projects) and every unit that has values or alerts to restore. A unit with nothing stored
/// is left to activate when it first reports or is first asked: until then its roll-ups count it as offline
/// with each of its scheduled indicators unreported, which is exactly what it would report itself, and an
/// index that is asked for its standing asks it then. Where the grain storage cannot say which units have
/// state (cluster mode), every unit is activated, as before. Design: docs/design/indexes.md, "Start-up".
/// </summary>
internal sealed class CatalogWarmup(
    Catalog catalog, IGrainFactory grains, Readiness readiness, IServiceProvider services, TimeProvider time, ILogger<CatalogWarmup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Require(SiloExtensions.SiloStarted);
        var started = time.GetTimestamp();
        var rollups = catalog.Entities.Where(e => e.Kind != EntityKind.Unit).ToArray();
        await ActivateAll(rollups, cancellationToken);
        var units = await UnitsToRestore();
        await ActivateAll(units, cancellationToken);
        readiness.Met(SiloExtensions.SiloStarted);
        logger.LogInformation("Activated {Rollups} roll-ups and {Units} of {AllUnits} units with state to restore in {Elapsed}",
            rollups.Length, units.Length, catalog.Entities.Length - rollups.Length, time.GetElapsedTime(started));
    }

    private async Task<CatalogEntity[]> UnitsToRestore()
    {
        var units = catalog.Entities.Where(e => e.Kind == EntityKind.Unit);
        return await StoredUnits.Of(services) is { } stored ? [.. units.Where(u => stored.Contains(u.Id))] : [.. units];
    }

    private async Task ActivateAll(IEnumerable<CatalogEntity> entities, CancellationToken cancellationToken)
    {
        foreach (var chunk in entities.Chunk(256))
            await Task.WhenAll(chunk.Select(e => Activate(e, cancellationToken)));
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
