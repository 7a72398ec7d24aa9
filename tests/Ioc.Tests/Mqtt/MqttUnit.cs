using System.Diagnostics.Metrics;
using Ioc.Ingest.Mqtt;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Ioc.Tests.Mqtt;

/// <summary>The one-command hub with its MQTT listener on a free port, and settings of a test class's own.</summary>
public class MqttHubFactory : HubFactory
{
    /// <summary>The listener's port.</summary>
    public int MqttPort { get; } = FreePort.Next();

    /// <summary>Settings beyond turning the listener on.</summary>
    protected virtual IDictionary<string, string?> MoreSettings => new Dictionary<string, string?>();

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Mqtt:Enabled"] = "true",
                ["Mqtt:Port"] = MqttPort.ToString(),
                ["Ingest:TokenRefreshPeriod"] = "00:00:00.200",
            };
            foreach (var (key, value) in MoreSettings) settings[key] = value;
            return settings;
        }
    }

    /// <summary>A unit connected to the listener with <paramref name="token"/> as its password.</summary>
    public Task<MqttUnit> Connect(string token = DevToken, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        // The listener starts with the host; touching Services builds the host.
        _ = Services;
        return MqttUnit.Connect("127.0.0.1", MqttPort, "any-user", token, version);
    }
}

/// <summary>A unit's MQTT client, with what arrived on the topics it subscribed to.</summary>
public sealed class MqttUnit : IAsyncDisposable
{
    private readonly IMqttClient _client;

    private MqttUnit(IMqttClient client) => _client = client;

    /// <summary>The server's CONNACK.</summary>
    public MqttClientConnectResult Connected { get; private set; } = null!;

    /// <summary>Messages received, in order.</summary>
    public Signals<MqttApplicationMessage> Received { get; } = new();

    /// <summary>Connects; throws when the server refuses.</summary>
    public static async Task<MqttUnit> Connect(string host, int port, string user, string password,
        MqttProtocolVersion version = MqttProtocolVersion.V500, string? clientId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var unit = new MqttUnit(client);
        client.ApplicationMessageReceivedAsync += e =>
        {
            unit.Received.Add([e.ApplicationMessage]);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId ?? "test-" + Guid.NewGuid().ToString("N"))
            .WithCredentials(user, password)
            .WithProtocolVersion(version)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        var connected = await client.ConnectAsync(options, TestContext.Current.CancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new InvalidOperationException($"The server refused the connection: {connected.ResultCode}");
        }
        unit.Connected = connected;
        return unit;
    }

    /// <summary>Publishes and returns the PUBACK's verdict (always success at QoS 0).</summary>
    public Task<MqttClientPublishResult> Publish(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(payload)).WithQualityOfServiceLevel(qos).Build(),
            TestContext.Current.CancellationToken);

    /// <summary>Subscribes at QoS 1 and returns the SUBACK's reason code.</summary>
    public async Task<MqttClientSubscribeResultCode> Subscribe(string filter)
    {
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            TestContext.Current.CancellationToken);
        return result.Items.Single().ResultCode;
    }

    /// <summary>The next refusal published on <paramref name="unit"/>'s error topic from position <paramref name="from"/>.</summary>
    public async Task<MqttError> NextError(string unit, int from)
    {
        var message = await Received.First(m => m.Topic == MqttTopic.ErrorsOf(unit), from);
        return JsonSerializer.Deserialize<MqttError>(message.Payload.FirstSpan, JsonSerializerOptions.Web)!;
    }

    /// <summary>Whether the connection is up.</summary>
    public bool IsConnected => _client.IsConnected;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        _client.Dispose();
    }
}

/// <summary>Counts the hub's MQTT messages by outcome, for one hub's meters only.</summary>
public sealed class MqttCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _counts = [];

    /// <summary>Every outcome counted, in order, to wait on.</summary>
    public Signals<string> Outcomes { get; } = new();

    public MqttCounts(HubFactory hub)
    {
        var meters = hub.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MqttTelemetry.MeterName && instrument.Name == "ioc.ingest.mqtt.messages" && instrument.Meter.Scope == meters)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "outcome")
                {
                    lock (_counts) _counts[(string)tag.Value!] = _counts.GetValueOrDefault((string)tag.Value!) + value;
                    Outcomes.Add([(string)tag.Value!]);
                }
        });
        _listener.Start();
    }

    /// <summary>Messages counted with <paramref name="outcome"/> since this started listening.</summary>
    public long this[string outcome]
    {
        get { lock (_counts) return _counts.GetValueOrDefault(outcome); }
    }

    public void Dispose() => _listener.Dispose();
}
