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
            // An update that raced the snapshot may arrive after it, already folded in: a screen skips it, as the wall
            // and the other screens of the tests do (LiveHub.Watch watches first, then reads).
            if (update.Sequence <= snapshot.Sequence) continue;
            if (update.Rollups.FirstOrDefault(r => r.Metric == "pm25") is { } pm25 && pm25.Value == value)
                return;
        }
    }
}
