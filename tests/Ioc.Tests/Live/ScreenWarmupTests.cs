using System.Text.Json;

namespace Ioc.Tests.Live;

/// <summary>
/// A fresh process serves one screen of its own over a loopback WebSocket before it reports ready, so that the
/// first real screens, which after a restart come all at once, do not pay for code run for the first time.
/// </summary>
public sealed class ScreenWarmupTests
{
    [Fact]
    public async Task A_one_command_hub_has_connected_and_subscribed_one_screen_of_its_own_before_it_reports_ready()
    {
        using var work = new TempFolder("ioc-warmup-");
        var log = Path.Combine(work.FullName, "hub.log");
        await using var hub = await HubProcess.StartAsync(OneCommandProcess.Start(work.FullName, log), Cancel);

        using var client = hub.CreateClient();
        var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready", Cancel);
        Assert.Contains("screen path warmed", ready.GetProperty("checks").GetProperty("ready").GetProperty("description").GetString());
        Assert.Equal(0, await hub.StopAsync(TimeSpan.FromMinutes(1)));
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var written = await reader.ReadToEndAsync(Cancel);
        // It worked, rather than gave up: the hub answered the handshake and each subscription.
        Assert.Contains("Warmed the screens' path", written);
        Assert.DoesNotContain("Could not warm the screens' path", written);
    }
}
