using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.SignalR.Client;
using Orleans.Core.Internal;

namespace Ioc.Tests.Live;

/// <summary>
/// The live path of the one-command hub hands an active unit its points in-process, on the unit's own scheduler,
/// instead of a grain call (<see cref="LocalUnits"/>); a unit not active here gets them by a call as before.
/// </summary>
public sealed class LocalDeliveryTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private LocalUnits Units => hub.Services.GetRequiredService<LocalUnits>();

    private IUnitGrain Unit(string id) => hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitGrain>(id);

    /// <summary>
    /// Activates a unit (start-up activates only units with stored state; the others on their first use) and
    /// returns its registration with the live path.
    /// </summary>
    private async Task<LocalUnit> Activated(string id)
    {
        await Unit(id).GetSnapshot();
        Assert.True(Units.TryGet(id, out var registered));
        return registered;
    }

    [Fact]
    public async Task Points_of_an_active_unit_go_in_process_in_the_order_received_and_the_newest_timestamp_wins()
    {
        const string id = "khoai-chau-air-1";
        var calls = 0L;
        var deliveredHere = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var meters = hub.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name is "ioc.ingest.live.local" or "ioc.ingest.live.calls")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "ioc.ingest.live.calls") Interlocked.Add(ref calls, value);
            else if (value > 0) deliveredHere.TrySetResult();
        });
        listener.Start();
        var registered = await Activated(id);

        var updates = new Signals<MetricValue>();
        await using var screen = hub.CreateLiveConnection();
        screen.On<EntityUpdate[]>("update", frame => updates.Add(frame.Where(u => u.Id == id).SelectMany(u => u.Metrics)));
        await screen.StartAsync(Cancel);
        await screen.InvokeAsync<EntitySnapshot>("Subscribe", id, Cancel);

        var t = DateTimeOffset.UtcNow.AddSeconds(-60);
        using var client = hub.CreateUnitClient();
        async Task Post(params (string Metric, double Value, DateTimeOffset Ts)[] points)
        {
            var response = await client.PostAsJsonAsync("/api/v1/telemetry", new
            {
                points = points.Select(p => new { unit = id, metric = p.Metric, value = p.Value, ts = p.Ts }).ToArray(),
            }, Cancel);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // Older points arriving later, in the same request and in later ones, do not replace a newer one.
        await Post(("pm25", 10, t), ("pm25", 20, t.AddSeconds(-30)));
        await Post(("pm25", 30, t.AddSeconds(-10)));
        // At one timestamp, the later point received wins.
        await Post(("pm25", 50, t.AddSeconds(1)), ("pm25", 60, t.AddSeconds(1)));
        // Taken after everything above, since a unit's points are applied in the order they arrived.
        await Post(("aqi", 77, t.AddSeconds(1)));
        await updates.First(m => m.Metric == "aqi" && m.Value == 77);

        var snapshot = await Unit(id).GetSnapshot();
        var pm25 = Assert.Single(snapshot.Metrics, m => m.Metric == "pm25");
        Assert.Equal((60.0, t.AddSeconds(1)), (pm25.Value, pm25.Timestamp));
        // A round counts its calls before its in-process deliveries.
        await deliveredHere.Task.WaitAsync(Signals<MetricValue>.Patience, Cancel);
        Assert.Equal(0, Interlocked.Read(ref calls));
        // The same activation took them all: nothing was reactivated on the way.
        Assert.True(Units.TryGet(id, out var still));
        Assert.Same(registered, still);
    }

    [Fact]
    public async Task Points_handed_to_an_activation_that_has_gone_reach_the_next_activation_and_none_is_lost()
    {
        const string id = "yen-my-air-1";
        var unit = Unit(id);
        var gone = await Activated(id);
        var before = (await unit.GetIntake()).PointsReceived;

        await unit.Cast<IGrainManagementExtension>().DeactivateOnIdle(Cancel);
        // Queued behind the deactivation: answered by the next activation, which registers as it starts.
        await unit.GetSnapshot();
        Assert.True(Units.TryGet(id, out var next));
        Assert.NotSame(gone, next);

        var ts = DateTimeOffset.UtcNow.AddSeconds(-5);
        await gone.Report([new MetricPoint("pm25", 41.5, ts)]);

        var snapshot = await unit.GetSnapshot();
        var pm25 = Assert.Single(snapshot.Metrics, m => m.Metric == "pm25");
        Assert.Equal((41.5, ts), (pm25.Value, pm25.Timestamp));
        Assert.Equal(before + 1, (await unit.GetIntake()).PointsReceived);
    }

    [Fact]
    public async Task A_unit_deactivated_on_this_silo_loses_none_of_the_points_sent_to_it_and_is_registered_again_when_active()
    {
        const string id = "van-lam-air-1";
        var unit = Unit(id);
        var gone = await Activated(id);

        var rollups = new Signals<RollupValue>();
        await using var screen = hub.CreateLiveConnection();
        screen.On<EntityUpdate[]>("update", frame => rollups.Add(frame.Where(u => u.Id == "van-lam").SelectMany(u => u.Rollups)));
        await screen.StartAsync(Cancel);
        await screen.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam", Cancel);

        await unit.Cast<IGrainManagementExtension>().DeactivateOnIdle(Cancel);
        var value = 30 + Random.Shared.Next(1000) / 10.0;
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = id, metric = "pm25", value, ts = DateTimeOffset.UtcNow } },
        }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        // Whether the live path found the old activation before it began to leave (which then saved the point as it
        // went), as it left (which passed the point on by a call), or not at all (a call), the point is not lost, and
        // the unit is active again and registered anew.
        await rollups.First(r => r.Metric == "pm25" && r.Value == value);
        Assert.Equal(value, Assert.Single((await unit.GetSnapshot()).Metrics, m => m.Metric == "pm25").Value);
        Assert.True(Units.TryGet(id, out var again));
        Assert.NotSame(gone, again);
    }
}
