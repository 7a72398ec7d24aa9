using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Ioc.Tests.Storage;

public sealed class FlushIntervalTests
{
    [Fact]
    public async Task Requests_that_arrive_within_the_flush_interval_of_a_write_go_to_the_store_together_in_the_next_write()
    {
        // A server that speaks the InfluxDB write API and keeps each write's lines.
        var port = FreePort.Next();
        var writes = new ConcurrentQueue<string[]>();
        var store = WebApplication.CreateSlimBuilder();
        store.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var server = store.Build();
        server.MapPost("/api/v2/write", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            writes.Enqueue((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            return Results.NoContent();
        });
        await server.StartAsync(Cancel);

        // The longest interval allowed, so that the three requests below are sure to arrive within it of the first write.
        var settings = StorageHub.VictoriaMetrics($"http://127.0.0.1:{port}");
        settings["TimeSeries:FlushInterval"] = "00:00:10";
        await using var hub = new StorageHub(settings);
        var units = hub.CreateUnitClient();
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        // After a quiet spell, the first request goes at once, alone.
        await StorageScenario.Push(units, [new Pushed("van-lam-air-1", "pm25", 10, at)], 1, Cancel);
        await hub.Drained(Cancel);
        Assert.Single(Assert.Single(writes));

        // Three more, each its own request and its own fsync, within the interval: one write carries them all.
        string[] stations = ["van-lam-air-1", "yen-my-air-1", "tp-hung-yen-air-1"];
        await Task.WhenAll(stations.Select(unit => StorageScenario.Push(units, [new Pushed(unit, "pm25", 20, at.AddSeconds(1))], 1, Cancel)));
        await hub.Drained(Cancel);

        Assert.Equal(2, writes.Count);
        var second = writes.Last();
        Assert.Equal(3, second.Length);
        Assert.All(stations, unit => Assert.Single(second, line => line.Contains($",unit={unit} ", StringComparison.Ordinal)));
    }
}
