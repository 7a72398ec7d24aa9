using Ioc.Ingest.Mqtt;
using Ioc.Tests.Ingest;
using Ioc.Tests.Storage;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Ioc.Tests.Mqtt;

/// <summary>The embedded listener takes what <c>POST /api/v1/telemetry</c> takes, with the same checks and the same promise.</summary>
public sealed class MqttIngestTests(MqttHubFactory hub) : IClassFixture<MqttHubFactory>
{
    [Fact]
    public async Task A_plain_number_on_a_metric_topic_is_acknowledged_shown_on_the_unit_and_stored()
    {
        await using var watch = await UnitWatch.Start(hub, "an-thi-water-1");
        await using var unit = await hub.Connect();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var ack = await unit.Publish("ioc/an-thi-water-1/water-level", "3.25");

        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        var shown = await watch.WaitFor("water-level", 3.25);
        Assert.True(shown.Timestamp >= before, "a plain number is stamped with its arrival time");
        await Drained();
        var history = await StorageScenario.History(hub, "an-thi-water-1", "water-level", before.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1), TimeSpan.FromHours(1), "last", Cancel);
        Assert.Equal(3.25, Assert.Single(history.Points).Value);
    }

    [Fact]
    public async Task A_JSON_body_on_a_unit_topic_may_leave_the_unit_out_and_a_value_object_carries_its_timestamp()
    {
        await using var watch = await UnitWatch.Start(hub, "van-lam-air-1");
        await using var unit = await hub.Connect();
        // Ahead of the body's points (stamped on arrival), so that it is the newest pm25 the unit shows.
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        var body = await unit.Publish("ioc/van-lam-air-1", """{"points":[{"metric":"pm25","value":12.5},{"unit":"van-lam-air-1","metric":"aqi","value":40}]}""");
        var one = await unit.Publish("ioc/van-lam-air-1/pm25", $$"""{"value":13.25,"ts":"{{ts:O}}"}""");

        Assert.Equal(MqttClientPublishReasonCode.Success, body.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, one.ReasonCode);
        await watch.WaitFor("aqi", 40);
        var pm25 = await watch.WaitFor("pm25", 13.25);
        Assert.Equal(ts, pm25.Timestamp);
    }

    [Fact]
    public async Task A_QoS_1_acknowledgement_comes_only_after_the_points_are_durable_in_the_write_ahead_buffer()
    {
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        await using var unit = await hub.Connect();
        for (var i = 0; i < 5; i++)
        {
            var durable = buffer.DurableEnd;
            var ack = await unit.Publish("ioc/yen-my-air-1/pm25", (30 + i).ToString());
            Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
            Assert.True(buffer.DurableEnd > durable, "the PUBACK came before the buffer had the point on disk");
        }
    }

    [Fact]
    public async Task A_token_writes_only_its_own_units_and_subscribes_only_to_its_own_reply_topics()
    {
        var (_, secret) = await hub.CreateToken("an-thi water gauge", "an-thi-water-1");
        await using var unit = await hub.Connect(secret);
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        using var counts = new MqttCounts(hub);
        var durable = buffer.DurableEnd;

        var other = await unit.Publish("ioc/van-lam-air-1/pm25", "10");
        var smuggled = await unit.Publish("ioc/an-thi-water-1", """{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":10}]}""");
        var own = await unit.Publish("ioc/an-thi-water-1/water-level", "2.5");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other.ReasonCode);
        Assert.Contains("may not write to unit 'van-lam-air-1'", other.ReasonString);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, smuggled.ReasonCode);
        Assert.Contains("may carry only unit 'an-thi-water-1'", smuggled.ReasonString);
        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        Assert.Equal(2, counts["forbidden"]);

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await unit.Subscribe("ioc/van-lam-air-1/errors"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await unit.Subscribe("ioc/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await unit.Subscribe("ioc/an-thi-water-1"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await unit.Subscribe("ioc/an-thi-water-1/errors"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await unit.Subscribe("ioc/an-thi-water-1/commands"));
    }

    [Fact]
    public async Task An_MQTT_5_unit_may_connect_without_a_client_id_and_is_given_one()
    {
        _ = hub.Services;
        await using var unit = await MqttUnit.Connect("127.0.0.1", hub.MqttPort, "", HubFactory.DevToken, clientId: "");
        Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish("ioc/tien-lu-water-1/water-level", "1.5")).ReasonCode);
    }

    [Fact]
    public async Task An_MQTT_5_unit_is_granted_the_configured_receive_maximum_so_it_stops_sending_while_its_messages_wait()
    {
        await using var unit = await hub.Connect();
        Assert.Equal((ushort?)new MqttOptions().ReceiveMaximum, unit.Connected.ReceiveMaximum);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_at_connect()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => hub.Connect("ioc_0000_not-a-token"));
        Assert.Contains("BadUserNameOrPassword", refused.ToString());
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_reason_code_counted_by_reason_and_explained_on_the_units_error_topic()
    {
        await using var unit = await hub.Connect();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await unit.Subscribe("ioc/kim-dong-air-1/errors"));
        using var counts = new MqttCounts(hub);

        async Task Refused(string topic, string payload, MqttClientPublishReasonCode code, string reason, string says)
        {
            var from = unit.Received.Count;
            var ack = await unit.Publish(topic, payload);
            Assert.Equal(code, ack.ReasonCode);
            Assert.Contains(says, ack.ReasonString);
            var error = await unit.NextError("kim-dong-air-1", from);
            Assert.Equal((topic, reason), (error.Topic, error.Reason));
            Assert.Contains(says, error.Error);
        }

        await Refused("ioc/kim-dong-air-1/pm25", "high", MqttClientPublishReasonCode.PayloadFormatInvalid, "value", "must be a number");
        await Refused("ioc/kim-dong-air-1/pm25", "NaN", MqttClientPublishReasonCode.PayloadFormatInvalid, "value", "must be a number");
        await Refused("ioc/kim-dong-air-1/rainfall", "3", MqttClientPublishReasonCode.PayloadFormatInvalid, "metric", "unknown metric 'rainfall'");
        await Refused("ioc/kim-dong-air-1", """{"points":[{"metric":"pm25","value":""", MqttClientPublishReasonCode.PayloadFormatInvalid, "malformed", "Malformed JSON");
        await Refused("ioc/kim-dong-air-1/pm25", $$"""{"value":1,"ts":"{{DateTimeOffset.UtcNow.AddYears(-2):O}}"}""", MqttClientPublishReasonCode.PayloadFormatInvalid, "ts", "older than the retention");
        var unknownUnit = await unit.Publish("ioc/atlantis-1/pm25", "1");
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, unknownUnit.ReasonCode);
        Assert.Contains("unknown unit 'atlantis-1'", unknownUnit.ReasonString);
        var notTelemetry = await unit.Publish("sensors/kim-dong-air-1", "1");
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, notTelemetry.ReasonCode);

        Assert.Equal((2, 1, 1, 1, 1), (counts["value"], counts["metric"], counts["malformed"], counts["ts"], counts["topic"]));
        Assert.Equal(1, counts["unit"]);
        Assert.True(unit.IsConnected, "bad input never costs the unit its connection");
    }

    [Fact]
    public async Task QoS_0_is_taken_as_best_effort()
    {
        await using var watch = await UnitWatch.Start(hub, "phu-cu-air-1");
        await using var unit = await hub.Connect(version: MqttProtocolVersion.V311);
        await unit.Publish("ioc/phu-cu-air-1/pm25", "17.5", MqttQualityOfServiceLevel.AtMostOnce);
        await watch.WaitFor("pm25", 17.5);
    }

    private async Task Drained()
    {
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await buffer.WhenConfirmed(buffer.DurableEnd, timeout.Token);
    }
}
