using Ioc.LoadGen;

namespace Ioc.Tests.Mqtt;

/// <summary>
/// Proves the load generator's MQTT path (benchmark scenario 9) against the real listener: every point it
/// publishes at QoS 1 is acknowledged and reaches a screen. Counts only; the benchmark runs outside the tests.
/// </summary>
public sealed class MqttLoadGenTests(MqttHubFactory hub) : IClassFixture<MqttHubFactory>
{
    [Fact]
    public async Task Every_point_the_load_generator_publishes_over_MQTT_is_acknowledged_and_seen_on_a_screen()
    {
        _ = hub.Services;
        // The test server answers HTTP whatever the host; MQTT goes to the real listener on loopback.
        var target = new LoadTarget(new Uri("http://127.0.0.1/"), hub.Server.CreateHandler);
        var report = await Bench.LoadGenSmokeTests.Run(target, hub, screens: 2, new LoadOptions
        {
            Protocol = Protocol.Mqtt,
            MqttPort = hub.MqttPort,
            BatchSize = 2,
            Concurrency = 4,
            Rate = 500,
            MaxPoints = 400,
        });

        Bench.LoadGenSmokeTests.AssertAcknowledgedAndSeen(report, requests: 200, points: 400, screens: 2);
    }
}
