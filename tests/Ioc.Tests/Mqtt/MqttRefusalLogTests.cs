using Ioc.Ingest.Mqtt;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Ioc.Tests.Mqtt;

/// <summary>A hub that logs each kind of MQTT refusal at most once an hour, and keeps what it logged.</summary>
public sealed class QuietMqttHubFactory : MqttHubFactory
{
    /// <summary>What the hub logged.</summary>
    public ListLogger Logs { get; } = new();

    protected override IDictionary<string, string?> MoreSettings => new Dictionary<string, string?>
    {
        ["Mqtt:RefusalLogInterval"] = "01:00:00",
    };

    protected override ILoggerProvider LogProvider => Logs;
}

/// <summary>A unit sending garbage over and over cannot flood the log: every refusal is counted, few are logged.</summary>
public sealed class MqttRefusalLogTests(QuietMqttHubFactory hub) : IClassFixture<QuietMqttHubFactory>
{
    [Fact]
    public async Task Repeated_bad_input_is_counted_every_time_and_logged_once_per_reason_within_the_interval()
    {
        await using var unit = await hub.Connect();
        using var counts = new MqttCounts(hub);

        for (var i = 0; i < 50; i++)
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, (await unit.Publish("ioc/van-giang-air-1/pm25", "broken")).ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, (await unit.Publish("ioc/van-giang-air-1/rainfall", "1")).ReasonCode);

        Assert.Equal((50, 1), (counts["value"], counts["metric"]));
        // The refusal is logged before its PUBACK goes out, so every line there will be is here by now.
        var logged = hub.Logs.Entries
            .Where(e => e.Category == typeof(MqttTelemetry).FullName && e.Level >= LogLevel.Warning)
            .Select(e => e.Message).Where(w => w.Contains("ioc/van-giang-air-1", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, logged.Count);
        Assert.Single(logged, w => w.Contains("(value, 400)", StringComparison.Ordinal));
        Assert.Single(logged, w => w.Contains("(metric, 400)", StringComparison.Ordinal));
    }
}
