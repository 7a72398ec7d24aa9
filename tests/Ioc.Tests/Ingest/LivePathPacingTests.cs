using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Ingest;
using Ioc.Ingest.Telemetry;
using Ioc.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Ingest;

/// <summary>
/// A unit is delivered to at most once per <see cref="IngestOptions.LiveUnitInterval"/>: points that arrive for it
/// sooner wait and go together, in the order received, so a unit costs at most one turn per interval however its
/// points are spread over requests.
/// </summary>
public sealed class LivePathPacingTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private const string Unit = "van-lam-air-1";

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
