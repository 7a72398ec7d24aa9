using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Live;

public sealed class LivePathTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_point_pushed_for_a_Van_Lam_sensor_reaches_a_screen_watching_Van_Lam_as_a_rolled_up_update()
    {
        var updates = Channel.CreateUnbounded<EntityUpdate>();
        await using var screen = hub.CreateLiveConnection();
        screen.On<EntityUpdate[]>("update", frame => { foreach (var u in frame) updates.Writer.TryWrite(u); });
        await screen.StartAsync(TestContext.Current.CancellationToken);
        var snapshot = await screen.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam", TestContext.Current.CancellationToken);
        Assert.Equal("van-lam", snapshot.Id);

        var value = 30 + Random.Shared.Next(1000) / 10.0;
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = "van-lam-air-1", metric = "pm25", value, ts = DateTimeOffset.UtcNow } },
        }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience);
        await foreach (var update in updates.Reader.ReadAllAsync(timeout.Token))
        {
            Assert.Equal("van-lam", update.Id);
            Assert.True(update.Sequence > snapshot.Sequence);
            if (update.Rollups.FirstOrDefault(r => r.Metric == "pm25") is { } pm25 && pm25.Value == value)
                return;
        }
    }
}
