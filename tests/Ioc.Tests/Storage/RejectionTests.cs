using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Ioc.Tests.Storage;

public sealed class RejectionTests
{
    [Fact]
    public async Task A_batch_the_store_refuses_with_400_is_set_aside_in_a_dead_letter_file_counted_and_not_retried()
    {
        // A server that speaks the InfluxDB write API and refuses every body, as InfluxDB does with a line it cannot parse.
        var port = FreePort.Next();
        var writes = 0;
        var refusing = WebApplication.CreateSlimBuilder();
        refusing.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var server = refusing.Build();
        server.MapPost("/api/v2/write", () =>
        {
            Interlocked.Increment(ref writes);
            return Results.Json(new { code = "invalid", message = "unable to parse 'telemetry': missing fields" }, statusCode: 400);
        });
        await server.StartAsync(Cancel);

        var settings = StorageHub.VictoriaMetrics($"http://127.0.0.1:{port}");
        await using var hub = new StorageHub(settings);
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await StorageScenario.Push(hub.CreateUnitClient(), [new Pushed("van-lam-air-1", "pm25", 12.5, at), new Pushed("van-lam-air-1", "aqi", 40, at)], 2, Cancel);
        await hub.Drained(Cancel);

        Assert.Equal(1, writes);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(hub.DataDirectory, "dead-letter"), "*.lp"));
        var lines = await File.ReadAllLinesAsync(file, Cancel);
        Assert.StartsWith("# refused by the time-series store", lines[0]);
        Assert.Contains("status 400", lines[0]);
        Assert.Contains("missing fields", lines[0]);
        Assert.Equal("# precision=s points=2", lines[1]);
        Assert.Equal($"telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1 pm25=12.5,aqi=40 {at.ToUnixTimeSeconds()}", lines[2]);

        var ready = await (await hub.CreateClient().GetAsync("/health/ready", Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var check = ready.GetProperty("checks").GetProperty(BufferExtensions.HealthCheckName);
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Equal(1, check.GetProperty("data").GetProperty("deadLetteredBatches").GetInt64());
        Assert.Equal(0, check.GetProperty("data").GetProperty("bufferedPoints").GetInt64());
    }
}
