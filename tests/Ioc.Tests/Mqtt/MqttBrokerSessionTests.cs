using Ioc.Ingest.Mqtt;
using MQTTnet;
using MQTTnet.Server;

namespace Ioc.Tests.Mqtt;

/// <summary>
/// What the Ingest asks of an external broker when it connects, read off its CONNECT packet at a stand-in
/// broker (an MQTTnet server): a persistent session that outlives the process, and a receive maximum, so the
/// broker holds back what the Ingest has not acknowledged rather than send it everything at once.
/// </summary>
public sealed class MqttBrokerSessionTests
{
    private sealed class StandInBrokerHub(int port, string clientId) : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Mqtt:Enabled"] = "true",
            ["Mqtt:Broker"] = $"127.0.0.1:{port}",
            ["Mqtt:BrokerUser"] = "ioc-ingest",
            ["Mqtt:BrokerPassword"] = "ingest-secret",
            ["Mqtt:ClientId"] = clientId,
        };
    }

    [Fact]
    public async Task The_Ingest_connects_with_a_persistent_session_and_a_receive_maximum()
    {
        var port = FreePort.Next();
        var factory = new MqttServerFactory();
        using var broker = factory.CreateMqttServer(factory.CreateServerOptionsBuilder().WithDefaultEndpoint().WithDefaultEndpointPort(port).Build());
        var connect = new TaskCompletionSource<(string ClientId, string User, bool? Clean, uint Expiry, ushort ReceiveMaximum)>(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.ValidatingConnectionAsync += e =>
        {
            connect.TrySetResult((e.ClientId, e.UserName, e.CleanSession, e.SessionExpiryInterval, e.ReceiveMaximum));
            return Task.CompletedTask;
        };
        await broker.StartAsync();
        var clientId = "ingest-" + Guid.NewGuid().ToString("N");
        await using var hub = new StandInBrokerHub(port, clientId);
        _ = hub.Services.GetRequiredService<MqttBrokerLink>();

        var seen = await connect.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal((clientId, "ioc-ingest"), (seen.ClientId, seen.User));
        Assert.True(seen.Clean == false, "clean start would drop what the broker kept while the Ingest was down");
        Assert.Equal((uint)new MqttOptions().SessionExpiry.TotalSeconds, seen.Expiry);
        Assert.Equal(64, seen.ReceiveMaximum);
        await broker.StopAsync(new MqttServerStopOptions());
    }
}
