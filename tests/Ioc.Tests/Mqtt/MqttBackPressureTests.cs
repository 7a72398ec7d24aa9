using Ioc.Tests.Ingest;
using Ioc.Tests.Storage;
using MQTTnet;
using MQTTnet.Formatter;

namespace Ioc.Tests.Mqtt;

/// <summary>A hub whose buffer holds one point and whose time-series store never answers, so the buffer stays full.</summary>
public sealed class FullBufferMqttHubFactory : MqttHubFactory
{
    protected override IDictionary<string, string?> MoreSettings
    {
        get
        {
            var settings = StorageHub.VictoriaMetrics($"http://127.0.0.1:{FreePort.Next()}");
            settings["Buffer:MaxPoints"] = "1";
            return settings;
        }
    }

    /// <summary>Fills the buffer: one point, taken only if the buffer was still empty.</summary>
    public async Task Fill()
    {
        await using var unit = await Connect();
        await unit.Publish("ioc/khoai-chau-water-1/water-level", "1");
    }
}

/// <summary>A hub whose tokens may write ten points, refilled at one every 100 s.</summary>
public sealed class RateLimitedMqttHubFactory : MqttHubFactory
{
    protected override IDictionary<string, string?> MoreSettings => RateLimitedHubFactory.Limit;
}

/// <summary>A hub that takes bodies of at most 1 KiB.</summary>
public sealed class SmallBodyMqttHubFactory : MqttHubFactory
{
    protected override IDictionary<string, string?> MoreSettings => new Dictionary<string, string?>
    {
        ["Ingest:MaxBodyBytes"] = "1024",
    };
}

/// <summary>An oversized message is refused over MQTT as over HTTP, and costs the unit nothing else.</summary>
public sealed class MqttMessageSizeTests(SmallBodyMqttHubFactory hub) : IClassFixture<SmallBodyMqttHubFactory>
{
    [Fact]
    public async Task A_message_over_the_body_limit_gets_quota_exceeded_is_counted_and_explained_and_the_unit_stays_connected()
    {
        await using var unit = await hub.Connect();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await unit.Subscribe("ioc/van-giang-water-1/errors"));
        using var counts = new MqttCounts(hub);
        var points = string.Join(',', Enumerable.Range(0, 40).Select(i => $$"""{"metric":"water-level","value":{{i}}.5}"""));

        var big = await unit.Publish("ioc/van-giang-water-1", $$"""{"points":[{{points}}]}""");

        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, big.ReasonCode);
        Assert.Contains("larger than the limit of 1024 bytes", big.ReasonString);
        var error = await unit.NextError("van-giang-water-1", 0);
        Assert.Equal("too-large", error.Reason);
        Assert.Equal(1, counts["too-large"]);
        Assert.True(unit.IsConnected);
        Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish("ioc/van-giang-water-1/water-level", "1.5")).ReasonCode);
    }
}

/// <summary>A flood is refused over MQTT as over HTTP.</summary>
public sealed class MqttRateLimitTests(RateLimitedMqttHubFactory hub) : IClassFixture<RateLimitedMqttHubFactory>
{
    [Fact]
    public async Task A_token_over_its_rate_limit_gets_quota_exceeded_on_the_PUBACK()
    {
        var (_, secret) = await hub.CreateToken("tien-lu air station", "tien-lu-air-1");
        await using var unit = await hub.Connect(secret);
        for (var i = 0; i < 10; i++)
            Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish("ioc/tien-lu-air-1/pm25", i.ToString())).ReasonCode);

        var over = await unit.Publish("ioc/tien-lu-air-1/pm25", "11");

        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, over.ReasonCode);
        Assert.Contains("over its rate limit", over.ReasonString);
    }

}

/// <summary>A full buffer is refused over MQTT as over HTTP, and a refusal is never an acknowledgement.</summary>
public sealed class MqttBackPressureTests(FullBufferMqttHubFactory hub) : IClassFixture<FullBufferMqttHubFactory>
{
    private const string TwoPoints = """{"points":[{"metric":"pm25","value":1},{"metric":"aqi","value":2}]}""";

    [Fact]
    public async Task A_full_buffer_refuses_the_PUBACK_over_MQTT_5_and_keeps_nothing()
    {
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        await hub.Fill();
        await using var unit = await hub.Connect();
        var durable = buffer.DurableEnd;

        var refused = await unit.Publish("ioc/khoai-chau-air-1", TwoPoints);

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, refused.ReasonCode);
        Assert.Contains("retry", refused.ReasonString, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(durable, buffer.DurableEnd);
        Assert.True(unit.IsConnected);
    }

    [Fact]
    public async Task A_full_buffer_closes_an_MQTT_3_connection_without_a_PUBACK_so_the_unit_sends_the_message_again()
    {
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        await hub.Fill();
        await using var unit = await hub.Connect(version: MqttProtocolVersion.V311);
        var durable = buffer.DurableEnd;

        await Assert.ThrowsAnyAsync<Exception>(() => unit.Publish("ioc/khoai-chau-air-1", TwoPoints));

        Assert.Equal(durable, buffer.DurableEnd);
        Assert.False(unit.IsConnected);
    }
}
