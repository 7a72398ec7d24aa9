using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Ingest;
using Ioc.Ingest.Telemetry;
using Ioc.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Ingest;

/// <summary>
/// The live path's queue is bounded in points: a request whose points would pass the bound waits, unanswered, until the
/// live path has taken enough, so a live path that falls behind slows the writers down instead of holding their points.
/// A unit is delivered to at most once per <see cref="IngestOptions.LiveUnitInterval"/>: points that arrive for it sooner
/// wait and go together, in the order received.
/// </summary>
public sealed class LivePathQueueTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private const string Unit = "van-lam-air-1";

    // A live path of the hub's own grains and instruments, with a bound of 1,000 points, not started: nothing takes
    // what is queued until the test starts it.
    private LivePath Stopped(int bound = 1_000) => new(
        hub.Services.GetRequiredService<IGrainFactory>(), hub.Services.GetRequiredService<IngestMetrics>(),
        Options.Create(new IngestOptions { LivePathQueuePoints = bound }), NullLogger<LivePath>.Instance);

    // Points a minute old, a millisecond apart; the last request's point is the newest.
    private static List<TelemetryPoint> Request(int points, double value, bool newest = false) =>
        [.. Enumerable.Range(0, points).Select(i => new TelemetryPoint(Unit, "pm25", value, DateTimeOffset.UtcNow.AddMinutes(newest ? 0 : -1).AddMilliseconds(i)))];

    [Fact]
    public async Task A_request_that_would_pass_the_bound_in_points_waits_until_the_live_path_takes_what_is_queued()
    {
        await using var watch = await UnitWatch.Start(hub, Unit);
        using var path = Stopped();

        Assert.True(path.Enqueue(Request(600, 1), Cancel).IsCompletedSuccessfully);
        Assert.True(path.Enqueue(Request(400, 2), Cancel).IsCompletedSuccessfully);
        Assert.Equal(1_000, path.Queued);
        var last = Math.Round(Random.Shared.NextDouble() * 1000, 3) + 3;
        var waiting = path.Enqueue(Request(1, last, newest: true), Cancel).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1_000, path.Queued);

        await path.StartAsync(Cancel);
        try
        {
            await waiting.WaitAsync(Signals<int>.Patience, Cancel);
            // The points that waited reach the unit after those queued before them.
            await watch.WaitFor("pm25", last);
        }
        finally
        {
            await path.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void A_request_larger_than_the_whole_bound_passes_when_nothing_is_queued()
    {
        using var path = Stopped();
        Assert.True(path.Enqueue(Request(1_500, 1), Cancel).IsCompletedSuccessfully);
        Assert.Equal(1_500, path.Queued);
        Assert.False(path.Enqueue(Request(1, 1), Cancel).IsCompleted);
    }

    [Fact]
    public async Task A_request_waiting_for_room_ends_when_its_client_goes_away_and_nothing_of_it_is_queued()
    {
        using var path = Stopped();
        Assert.True(path.Enqueue(Request(1_000, 1), Cancel).IsCompletedSuccessfully);
        using var client = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var waiting = path.Enqueue(Request(10, 1), client.Token).AsTask();
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1_000, path.Queued);
    }

    [Fact]
    public void A_configuration_that_still_bounds_the_queue_in_requests_is_refused_at_start_up_naming_the_setting_that_replaced_it()
    {
        using var refused = new StorageHub(new Dictionary<string, string?> { ["Ingest:LivePathQueue"] = "4096" });
        Assert.Contains("Ingest:LivePathQueuePoints", refused.StartUpRefusal());
    }

    [Fact]
    public void A_bound_below_a_thousand_points_is_refused_at_start_up()
    {
        using var refused = new StorageHub(new Dictionary<string, string?> { ["Ingest:LivePathQueuePoints"] = "10" });
        Assert.Contains("LivePathQueuePoints", refused.StartUpRefusal());
    }

    [Fact]
    public async Task Points_that_arrive_for_a_unit_within_its_interval_go_together_in_one_delivery_in_the_order_received()
    {
        // The unit is "active in this process" as a recorder of what it is handed, so each delivery is seen whole.
        var deliveries = Channel.CreateUnbounded<ImmutableArray<MetricPoint>>();
        var local = new LocalUnits([], []);
        local.Add(Unit, hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitGrain>(Unit), points => deliveries.Writer.TryWrite(points));
        // Longer than the options allow, so that the requests below surely arrive within it of the first delivery.
        using var path = new LivePath(
            hub.Services.GetRequiredService<IGrainFactory>(), hub.Services.GetRequiredService<IngestMetrics>(),
            Options.Create(new IngestOptions { LiveUnitInterval = TimeSpan.FromSeconds(5) }), NullLogger<LivePath>.Instance, local);
        var t = DateTimeOffset.UtcNow.AddMinutes(-1);
        TelemetryPoint Point(string metric, double value, int second) => new(Unit, metric, value, t.AddSeconds(second));

        await path.StartAsync(Cancel);
        try
        {
            // A unit not delivered to before gets its points without waiting for anything else.
            await path.Enqueue([Point("pm25", 1, 0)], Cancel);
            var first = await deliveries.Reader.ReadAsync(Cancel).AsTask().WaitAsync(Signals<int>.Patience, Cancel);
            Assert.Equal([new MetricPoint("pm25", 1, t)], first);

            // Three requests within the interval: one delivery, the points in the order they arrived.
            await path.Enqueue([Point("pm25", 2, 2)], Cancel);
            await path.Enqueue([Point("aqi", 40, 1), Point("pm25", 3, 1)], Cancel);
            await path.Enqueue([Point("pm25", 4, 2)], Cancel);
            var second = await deliveries.Reader.ReadAsync(Cancel).AsTask().WaitAsync(Signals<int>.Patience, Cancel);
            Assert.Equal(
                [new MetricPoint("pm25", 2, t.AddSeconds(2)), new MetricPoint("aqi", 40, t.AddSeconds(1)),
                 new MetricPoint("pm25", 3, t.AddSeconds(1)), new MetricPoint("pm25", 4, t.AddSeconds(2))],
                second);
            Assert.False(deliveries.Reader.TryRead(out _));
        }
        finally
        {
            await path.StopAsync(CancellationToken.None);
        }
    }
}
