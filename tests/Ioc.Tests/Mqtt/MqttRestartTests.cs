using System.Globalization;
using System.Net.Http.Headers;
using Ioc.HubCtl;
using MQTTnet;

namespace Ioc.Tests.Mqtt;

/// <summary>
/// No loss across a crash: a unit publishes at QoS 1 while the Ingest is killed with SIGKILL and started again
/// on the same data directory, and the store it writes to ends up holding every message once. Each test runs
/// the built hub as a child process of its own, with the embedded store, so the kill is real.
/// </summary>
public sealed class MqttRestartTests
{
    private const string Unit = "an-thi-water-1";
    private const string Metric = "water-level";
    private const string UnitPassword = "water-gauge-secret";
    private const int Messages = 240;

    /// <summary>Message <c>i</c> carries value <c>i</c> at <c>start + i</c> seconds: one point a second, identified by its time.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds());

    private static string Payload(int i) => string.Create(CultureInfo.InvariantCulture, $$"""{"value":{{i}},"ts":"{{Start.AddSeconds(i):O}}"}""");

    [Fact]
    public async Task Through_a_broker_every_message_published_while_the_Ingest_is_killed_and_restarted_is_stored_once()
    {
        var catalog = Contracts.Catalog.Load(Path.Combine(Repository.Root, "catalog", "hung-yen.json"));
        await using var broker = await Mosquitto.Run(new Dictionary<string, string>
        {
            [BrokerHubFactory.IngestUser] = BrokerHubFactory.IngestPassword,
            [Unit] = UnitPassword,
        }, MosquittoAcl.Generate(catalog, BrokerHubFactory.IngestUser), Cancel);
        using var data = new DataDirectory();
        var settings = data.Settings(new()
        {
            ["Mqtt:Enabled"] = "true",
            ["Mqtt:Broker"] = broker.Address,
            ["Mqtt:BrokerUser"] = BrokerHubFactory.IngestUser,
            ["Mqtt:BrokerPassword"] = BrokerHubFactory.IngestPassword,
            // The session at the broker is this name's: the restarted process must use the same one.
            ["Mqtt:ClientId"] = "ingest-" + Guid.NewGuid().ToString("N"),
        });
        const string subscribed = "Taking MQTT telemetry from";

        var first = await HubProcess.StartDevelopmentAsync(settings, Cancel);
        await using (first)
        {
            await first.Logged(subscribed).WaitAsync(TimeSpan.FromSeconds(60), Cancel);
            await using var unit = await MqttUnit.Connect("127.0.0.1", broker.Port, Unit, UnitPassword);
            for (var i = 0; i < Messages / 3; i++)
                Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish($"ioc/{Unit}/{Metric}", Payload(i))).ReasonCode);
            // Killed once it has taken some of them, while the broker still holds the rest for it.
            await Shown(first, Messages / 6);
            first.Kill();

            // Published while no Ingest runs: the broker keeps them in the Ingest's persistent session.
            for (var i = Messages / 3; i < Messages; i++)
                Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish($"ioc/{Unit}/{Metric}", Payload(i))).ReasonCode);
        }

        await using var second = await HubProcess.StartDevelopmentAsync(settings, Cancel);
        await StoredOnce(second, Enumerable.Range(0, Messages));
    }

    [Fact]
    public async Task To_the_embedded_listener_every_acknowledged_message_and_every_one_sent_again_after_a_kill_is_stored_once()
    {
        using var data = new DataDirectory();
        var settings = data.Settings(new()
        {
            ["Mqtt:Enabled"] = "true",
            ["Mqtt:Port"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        });
        var port = int.Parse(settings["Mqtt:Port"], CultureInfo.InvariantCulture);
        var acknowledged = new HashSet<int>();
        int resumeAt;

        var first = await HubProcess.StartDevelopmentAsync(settings, Cancel);
        await using (first)
        {
            var unit = await MqttUnit.Connect("127.0.0.1", port, Unit, HubFactory.DevToken);
            Task? killing = null;
            // The unit publishes without pause; the hub is killed under it once a third is acknowledged.
            var publishing = Task.Run(async () =>
            {
                for (var i = 0; i < Messages; i++)
                {
                    try
                    {
                        var ack = await unit.Publish($"ioc/{Unit}/{Metric}", Payload(i));
                        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
                    }
                    catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                    {
                        // No PUBACK: the message may or may not have been kept, so the unit sends it again.
                        return i;
                    }
                    acknowledged.Add(i);
                    if (acknowledged.Count == Messages / 3) killing = Task.Run(first.Kill);
                }
                return Messages;
            }, Cancel);
            resumeAt = await publishing.WaitAsync(TimeSpan.FromSeconds(180), Cancel);
            Assert.NotNull(killing);
            await killing;
            await unit.DisposeAsync();
        }
        Assert.True(resumeAt < Messages, "the kill came after the last message; nothing was in flight");

        // The listener's sessions died with the process: the unit connects anew and sends what was never acknowledged.
        await using var second = await HubProcess.StartDevelopmentAsync(settings, Cancel);
        await using (var unit = await MqttUnit.Connect("127.0.0.1", port, Unit, HubFactory.DevToken))
            for (var i = resumeAt; i < Messages; i++)
                Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish($"ioc/{Unit}/{Metric}", Payload(i))).ReasonCode);
        Assert.True(acknowledged.SetEquals(Enumerable.Range(0, resumeAt)));
        await StoredOnce(second, Enumerable.Range(0, Messages));
    }

    /// <summary>Waits until the hub's live view of the unit shows message <paramref name="index"/> or a later one.</summary>
    private static async Task Shown(HubProcess hub, int index)
    {
        using var client = await PersonClient(hub);
        // Another process: nothing to wait on but the process itself, so ask it, within a bound.
        for (var attempt = 0; attempt < 240; attempt++)
        {
            if (attempt > 0) await Task.Delay(TimeSpan.FromMilliseconds(250), Cancel);
            var snapshot = await client.GetFromJsonAsync<JsonElement>($"/api/v1/entities/{Unit}", Cancel);
            if (snapshot.GetProperty("metrics").EnumerateArray()
                .Any(m => m.GetProperty("metric").GetString() == Metric && m.GetProperty("value").GetDouble() >= index))
                return;
        }
        Assert.Fail($"The hub never showed message {index}. Hub log:\n{hub.Output}");
    }

    /// <summary>
    /// Asserts that the store holds exactly <paramref name="expected"/>: one point a second, each with its own
    /// value, and no second copy of any (a count over the whole range).
    /// </summary>
    private static async Task StoredOnce(HubProcess hub, IEnumerable<int> expected)
    {
        var want = expected.ToHashSet();
        using var client = await PersonClient(hub);
        var from = Start.AddSeconds(-1);
        var to = Start.AddSeconds(Messages + 1);
        string History(long step, string agg) =>
            $"/api/v1/entities/{Unit}/metrics/{Metric}/history?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&step={step}&agg={agg}";

        // The restarted process drains its buffer and takes what the broker kept on its own schedule; ask it, within a bound.
        HashSet<int> stored = [];
        for (var attempt = 0; attempt < 240 && !stored.SetEquals(want); attempt++)
        {
            if (attempt > 0) await Task.Delay(TimeSpan.FromMilliseconds(500), Cancel);
            var each = await client.GetFromJsonAsync<JsonElement>(History(1, "last"), Cancel);
            stored = [.. each.GetProperty("points").EnumerateArray().Select(p => (int)p.GetProperty("value").GetDouble())];
        }
        var missing = want.Except(stored).Order().ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} messages never stored, such as {string.Join(", ", missing.Take(10))}. Hub log:\n{hub.Output}");
        Assert.Empty(stored.Except(want));
        var total = await client.GetFromJsonAsync<JsonElement>(History(Messages + 2, "count"), Cancel);
        Assert.Equal(want.Count, total.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").GetDouble()));
    }

    private static async Task<HttpClient> PersonClient(HubProcess hub)
    {
        var client = new HttpClient { BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var token = (await client.GetStringAsync($"/dev/token?role={HubRoles.Supervisor}", Cancel)).Trim();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A data directory of the test's own, kept across the kill, for the buffer and the embedded store.</summary>
    private sealed class DataDirectory : IDisposable
    {
        private readonly string _path = Directory.CreateTempSubdirectory("ioc-mqtt-restart-").FullName;

        public Dictionary<string, string> Settings(Dictionary<string, string> more)
        {
            more["Storage:DataDirectory"] = _path;
            return more;
        }

        public void Dispose() => Directory.Delete(_path, recursive: true);
    }
}
