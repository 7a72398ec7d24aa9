using Ioc.Silo.Grains;
using Ioc.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime.Hosting;
using Orleans.TestingHost;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// The hub's grains in an Orleans <see cref="InProcessTestCluster"/> with one silo, on a
/// <see cref="FakeTimeProvider"/>: grain timers (offline checks, escalation) run on that clock, so a
/// test moves time on and waits for the effect through <see cref="Feed"/>, a live feed registered
/// like a gateway's. Storage is a <see cref="SharedGrainStore"/>, so a second cluster over the same
/// store is the hub after a restart.
/// </summary>
public sealed class HubCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;
    private ILiveFeed? _feedReference;

    private HubCluster(InProcessTestCluster cluster, Contracts.Catalog catalog, FakeTimeProvider time, SharedGrainStore store)
    {
        _cluster = cluster;
        Catalog = catalog;
        Time = time;
        Store = store;
    }

    /// <summary>The catalog the cluster runs.</summary>
    public Contracts.Catalog Catalog { get; }

    /// <summary>The cluster's clock.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>Where grains keep their state.</summary>
    public SharedGrainStore Store { get; }

    /// <summary>A client of the cluster.</summary>
    public IClusterClient Client => _cluster.Client;

    /// <summary>What the push path delivers to screens.</summary>
    public FeedProbe Feed { get; } = new();

    /// <summary>The seeded catalog of the province.</summary>
    public static Contracts.Catalog SeededCatalog() => Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    /// <summary>Starts a cluster over <paramref name="catalog"/>, with its clock at <paramref name="start"/>.</summary>
    public static async Task<HubCluster> StartAsync(
        Contracts.Catalog catalog, DateTimeOffset start, SharedGrainStore? store = null,
        Action<HubOptions>? hub = null, Action<AlertOptions>? alerts = null, Action<Orleans.Hosting.ISiloBuilder>? configureSilo = null,
        short silos = 1)
    {
        var time = new FakeTimeProvider(start);
        store ??= new SharedGrainStore();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(catalog);
            silo.Services.AddSingleton<Ioc.Silo.Grains.UpwardReports>();
            silo.Services.RemoveAll<TimeProvider>();
            silo.Services.AddSingleton<TimeProvider>(time);
            silo.Services.AddKeyedSingleton<TimeProvider>(DomainClock.Key, time);
            silo.Services.AddGrainStorage(StateStorage.Name, (sp, _) => store.For(sp));
            silo.Services.Configure<HubOptions>(o => hub?.Invoke(o));
            silo.Services.Configure<AlertOptions>(o => alerts?.Invoke(o));
            silo.StartPushNotifier();
        });
        if (configureSilo is not null)
            builder.ConfigureSilo((_, b) => configureSilo(b));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var hubCluster = new HubCluster(cluster, catalog, time, store);
        await hubCluster.RegisterFeed();
        return hubCluster;
    }

    /// <summary>
    /// Registers <see cref="Feed"/> again. The registry expires feeds a minute after they last
    /// registered on the cluster's clock, so a test that moves the clock on registers again first.
    /// </summary>
    public Task RegisterFeed()
    {
        _feedReference ??= Client.CreateObjectReference<ILiveFeed>(Feed);
        return Client.GetGrain<ILiveFeedRegistryGrain>(0).Register(_feedReference);
    }

    /// <summary>
    /// Moves the cluster's clock on, in steps of half a minute at most with the feed registered again
    /// before each, so that however far the clock jumps the feed never looks expired to the registry.
    /// </summary>
    public async Task Advance(TimeSpan by)
    {
        var step = TimeSpan.FromSeconds(30);
        for (var left = by; left > TimeSpan.Zero; left -= step)
        {
            await RegisterFeed();
            Time.Advance(left < step ? left : step);
        }
    }

    /// <summary>Reports points for a unit, stamped with the cluster's clock unless given.</summary>
    public Task Report(string unit, params (string Metric, double Value)[] points) =>
        Client.GetGrain<IUnitGrain>(unit).Report([.. points.Select(p => new MetricPoint(p.Metric, p.Value, Time.GetUtcNow()))]);

    /// <summary>
    /// The snapshot of a roll-up once it counts every indicator its units have below target. Roll-ups
    /// report up at most every <see cref="HubOptions.RollupInterval"/>, so a test that reads a count
    /// to compare with later first waits here for the reports other tests made to arrive; each wait is
    /// for the roll-up's next update, which a pending change always brings.
    /// </summary>
    public async Task<EntitySnapshot> Settled(string rollupId)
    {
        var units = Catalog.UnitsUnder(rollupId);
        while (true)
        {
            var mark = Feed.Mark();
            var counts = await Task.WhenAll(units.Select(async u => (await Client.GetGrain<IUnitGrain>(u).GetSnapshot()).BelowTarget));
            var snapshot = await Client.For(Catalog.Entity(rollupId)).GetSnapshot();
            if (snapshot.BelowTarget == counts.Sum())
                return snapshot;
            await Feed.Update(u => u.Id == rollupId, mark);
        }
    }

    /// <summary>Stops the silo at once, without a graceful shutdown, as a crash or a power cut would.</summary>
    public async Task Kill()
    {
        foreach (var silo in _cluster.Silos.ToList())
            await _cluster.KillSiloAsync(silo);
    }

    /// <summary>The silo that hosts a grain's activation now.</summary>
    public async Task<SiloAddress> SiloHosting(IAddressable grain) =>
        await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain)
        ?? throw new InvalidOperationException($"{grain} has no activation.");

    /// <summary>
    /// Stops one silo at once, as a crash would, and returns once the survivors' membership no longer lists it:
    /// from then on a call to one of its grains activates that grain on a survivor.
    /// </summary>
    public async Task KillSilo(SiloAddress silo)
    {
        await _cluster.KillSiloAsync(_cluster.Silos.Single(s => s.SiloAddress.Equals(silo)));
        await _cluster.WaitForLivenessToStabilizeAsync(didKill: true);
    }

    /// <summary>A silo's runtime identity, which keys its push notifier (<see cref="IPushNotifierGrain"/>).</summary>
    public string SiloIdentity(SiloAddress silo) =>
        _cluster.Silos.Single(s => s.SiloAddress.Equals(silo)).SiloHost.Services.GetRequiredService<IGrainRuntime>().SiloIdentity;

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();
}
