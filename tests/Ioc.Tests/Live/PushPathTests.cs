using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Gateway.Live;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Live;

/// <summary>The hub on a real port, pushing often and cutting off a silent screen quickly.</summary>
public sealed class PushPathHub : KestrelHubFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gateway:PushInterval"] = "00:00:00.050",
        ["Gateway:SendTimeout"] = "00:00:01",
    };
}

public sealed class PushPathTests(PushPathHub hub) : IClassFixture<PushPathHub>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 120_000)]
    public async Task A_burst_of_updates_to_one_entity_reaches_a_screen_as_a_few_frames_whose_last_carries_the_final_values()
    {
        var frames = Channel.CreateUnbounded<EntityUpdate[]>();
        await using var screen = hub.ConnectScreen();
        screen.On<EntityUpdate[]>("update", frame => frames.Writer.TryWrite(frame));
        await screen.StartAsync(Cancel);
        // The unit activates on its first use; a unit's own updates must not mix with the burst below, so it
        // reports once and the screen sees that report before the snapshot the burst continues from is read.
        const string id = "yen-my-air-1";
        var settled = Random.Shared.Next(1_000, 1_000_000) + 0.25;
        await screen.InvokeAsync<EntitySnapshot>("Subscribe", id, Cancel);
        await hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitGrain>(id)
            .Report([new MetricPoint("pm25", settled, DateTimeOffset.UtcNow.AddSeconds(-60))]);
        await foreach (var frame in frames.Reader.ReadAllAsync(Cancel))
            if (frame.Any(u => u.Id == id && u.Metrics.Any(m => m.Metric == "pm25" && m.Value == settled)))
                break;
        var snapshot = await screen.InvokeAsync<EntitySnapshot>("Subscribe", id, Cancel);
        while (frames.Reader.TryRead(out _)) { }

        const int burst = 10_000;
        var feed = hub.Services.GetRequiredService<Screens>();
        for (var i = 1; i <= burst; i++)
            await feed.OnUpdates([Update(id, snapshot.Sequence + i, ("pm25", (double)i), ("aqi", (double)(burst - i)))]);

        var received = new List<EntityUpdate>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        await foreach (var frame in frames.Reader.ReadAllAsync(timeout.Token))
        {
            received.AddRange(frame);
            if (received[^1].Sequence == snapshot.Sequence + burst) break;
        }

        // Without coalescing there would be one frame per update.
        Assert.InRange(received.Count, 1, burst / 100);
        Assert.Equal(snapshot.Sequence + 1, received[0].FromSequence);
        for (var i = 1; i < received.Count; i++)
            Assert.Equal(received[i - 1].Sequence + 1, received[i].FromSequence);
        var last = received[^1];
        Assert.Equal(burst, last.Metrics.Single(m => m.Metric == "pm25").Value);
        Assert.Equal(0, last.Metrics.Single(m => m.Metric == "aqi").Value);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_screen_that_stops_reading_is_cut_off_while_another_screen_keeps_receiving()
    {
        var catalog = hub.Services.GetRequiredService<Ioc.Contracts.Catalog>();
        var metrics = catalog.Metrics.Select(m => m.Id).ToArray();
        var watched = catalog.Entities.Where(e => e.Kind == EntityKind.Unit).Take(20).Select(e => e.Id).ToArray();
        var cutOff = hub.Logs.Next("ScreenCutOff");

        await using var frozen = await FrozenScreen.Connect(hub.BaseAddress, hub.TokenFor(HubRoles.Operator), watched, Cancel);

        var rounds = Channel.CreateUnbounded<double>();
        await using var healthy = hub.ConnectScreen();
        healthy.On<EntityUpdate[]>("update", frame =>
        {
            foreach (var update in frame.Where(u => u.Id == watched[0]))
                rounds.Writer.TryWrite(update.Metrics.Max(m => m.Value));
        });
        await healthy.StartAsync(Cancel);
        await healthy.InvokeAsync<EntitySnapshot>("Subscribe", watched[0], Cancel);

        // Each round is a frame of every metric of every watched unit: the frozen screen's buffers fill
        // within a few rounds. The healthy screen paces the rounds, and so shows it is never held up.
        var feed = hub.Services.GetRequiredService<Screens>();
        var sequence = 0L;
        var round = 0;
        while (!cutOff.IsCompleted && round < 2_000)
        {
            round++;
            sequence++;
            await feed.OnUpdates([.. watched.Select(id => Update(id, sequence, [.. metrics.Select(m => (m, (double)round))]))]);
            await ReceiveRound(rounds, round);
        }
        Assert.True(cutOff.IsCompleted, $"The frozen screen was not cut off after {round} rounds.");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        await frozen.DrainUntilClosed(timeout.Token);

        sequence++;
        await feed.OnUpdates([Update(watched[0], sequence, ("pm25", (double)(round + 1)))]);
        await ReceiveRound(rounds, round + 1);
    }

    private static async Task ReceiveRound(Channel<double> rounds, int round)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        while (await rounds.Reader.ReadAsync(timeout.Token) < round) { }
    }

    internal static EntityUpdate Update(string id, long sequence, params (string Metric, double Value)[] values)
    {
        var now = DateTimeOffset.UtcNow;
        return new EntityUpdate(id, sequence, sequence, HealthStatus.Ok, now,
            [.. values.Select(v => new MetricValue(v.Metric, v.Value, now, HealthStatus.Ok))],
            ImmutableArray<RollupValue>.Empty, StatusCounts.Of(HealthStatus.Ok), ImmutableArray<ChildStatus>.Empty);
    }
}
