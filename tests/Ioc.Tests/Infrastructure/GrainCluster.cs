using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Ioc.Silo.Hosting;
using Orleans.TestingHost;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// An in-process Orleans cluster hosting the hub's grains on the seeded catalog, with a fake clock and
/// fast freshness checks. Tests watch what the grains publish through <see cref="Feed"/>.
/// </summary>
public sealed class GrainCluster : IAsyncLifetime
{
    /// <summary>The clock every grain reads; starts at the real current time.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The seeded catalog.</summary>
    public Contracts.Catalog Catalog { get; } = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    /// <summary>Everything the push notifiers publish.</summary>
    public RecordingFeed Feed { get; } = new();

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>A client of the cluster.</summary>
    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StateStorage.Name);
            silo.StartPushNotifier();
            silo.Services.AddSingleton(Catalog);
            silo.Services.AddSingleton<Ioc.Silo.Grains.UpwardReports>();
            silo.Services.AddKeyedSingleton<TimeProvider>(DomainClock.Key, Time);
            silo.Services.AddOptions<HubOptions>().Configure(o => o.FreshnessCheckPeriod = TimeSpan.FromMilliseconds(50));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        // As the silo's catalog warm-up does: every entity active before the first report.
        await Task.WhenAll(Catalog.Entities.Select(e => Client.For(e).GetSnapshot()));
        var reference = Client.CreateObjectReference<ILiveFeed>(Feed);
        await Client.GetGrain<ILiveFeedRegistryGrain>(0).Register(reference);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>A live feed that lets tests wait for the update they expect.</summary>
public sealed class RecordingFeed : ILiveFeed
{
    private readonly ConcurrentDictionary<Channel<EntityUpdate>, byte> _listeners = new();

    public Task OnUpdates(ImmutableArray<EntityUpdate> updates)
    {
        foreach (var listener in _listeners.Keys)
            foreach (var update in updates)
                listener.Writer.TryWrite(update);
        return Task.CompletedTask;
    }

    public Task OnAlerts(ImmutableArray<Alert> alerts) => Task.CompletedTask;

    /// <summary>Waits for the first update of <paramref name="entityId"/>, from now on, that satisfies <paramref name="match"/>.</summary>
    /// <remarks>Listening starts before this method first awaits, so updates caused after the call are never missed.</remarks>
    public Task<EntityUpdate> WaitFor(string entityId, Func<EntityUpdate, bool> match, Func<Task>? trigger = null, TimeSpan? timeout = null)
    {
        var channel = Channel.CreateUnbounded<EntityUpdate>();
        _listeners[channel] = 0;
        return Wait(channel, entityId, match, trigger, timeout);
    }

    private async Task<EntityUpdate> Wait(Channel<EntityUpdate> channel, string entityId, Func<EntityUpdate, bool> match, Func<Task>? trigger, TimeSpan? timeout)
    {
        try
        {
            if (trigger is not null) await trigger();
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
            await foreach (var update in channel.Reader.ReadAllAsync(cts.Token))
                if (update.Id == entityId && match(update))
                    return update;
            throw new InvalidOperationException("unreachable");
        }
        finally
        {
            _listeners.TryRemove(channel, out _);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainCluster>
{
    public const string Name = "grain cluster";
}
