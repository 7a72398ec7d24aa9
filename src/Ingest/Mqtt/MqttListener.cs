using System.Net.Sockets;
using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Ioc.Ingest.Mqtt;

/// <summary>
/// The embedded MQTT listener of the one-command hub. A unit connects with any client id and user name and
/// its unit token as the password; each message is judged as a <c>POST /api/v1/telemetry</c> with that token
/// (<see cref="MqttTelemetry"/>), so a token revoked since the connection stops working within the token
/// refresh period, as over HTTP. A QoS 1 message is acknowledged only once its points are in the write-ahead
/// buffer: the interceptor below runs before MQTTnet sends the PUBACK, which carries the verdict's reason code.
/// </summary>
public sealed class MqttListener(
    IOptions<MqttOptions> options, UnitTokenAuthenticator tokens, MqttTelemetry telemetry, IHostEnvironment environment, ILogger<MqttListener> logger)
    : IHostedService, IAsyncDisposable
{
    /// <summary>The client id the hub publishes its own messages (refusals) under.</summary>
    public const string HubClientId = "ioc-hub";

    private const string TokenItem = "ioc.token";
    private const string Version5Item = "ioc.v5";
    private MqttServer? _server;

    /// <summary>Whether the listener is up.</summary>
    public bool IsRunning => _server?.IsStarted == true;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var port = options.Value.Port;
        var factory = new MqttServerFactory();
        var server = factory.CreateMqttServer(factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(port)
            // A restart after a crash must get its port back even while the old connections linger in TIME_WAIT.
            .WithDefaultEndpointReuseAddress()
            .WithPersistentSessions()
            .Build());
        server.ValidatingConnectionAsync += Validate;
        server.InterceptingPublishAsync += Publish;
        server.InterceptingSubscriptionAsync += Subscribe;
        server.InterceptingOutboundPacketAsync += GrantReceiveMaximum;
        try
        {
            await server.StartAsync();
        }
        catch (SocketException ex) when (environment.IsDevelopment())
        {
            // The one-command hub must start anywhere; a port taken (say, by a local broker) costs MQTT only.
            logger.LogError(ex, "The MQTT listener could not listen on port {Port}; MQTT ingest is off. Set Mqtt:Port to a free port", port);
            server.Dispose();
            return;
        }
        _server = server;
        logger.LogInformation("MQTT listener on port {Port}: publish to ioc/{{unit}} or ioc/{{unit}}/{{metric}} with a unit token as the password", port);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true } server) return;
        try
        {
            await server.StopAsync(new MqttServerStopOptions());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A connection that broke while closing must not fail the host's shutdown.
            logger.LogWarning(ex, "The MQTT listener did not stop cleanly");
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            await StopAsync(CancellationToken.None);
            server.Dispose();
            _server = null;
        }
    }

    private async Task Validate(ValidatingConnectionEventArgs e)
    {
        var (check, _) = await tokens.Authenticate("Token " + e.Password, e.CancellationToken);
        e.ReasonCode = check switch
        {
            TokenCheck.Granted => MqttConnectReasonCode.Success,
            TokenCheck.Unavailable => MqttConnectReasonCode.ServerUnavailable,
            _ => MqttConnectReasonCode.BadUserNameOrPassword,
        };
        if (check != TokenCheck.Granted) return;
        // Any client id will do, none included (mosquitto_pub sends none): the hub names that client itself.
        if (string.IsNullOrEmpty(e.ClientId))
            e.AssignedClientIdentifier = "unit-" + Guid.NewGuid().ToString("N");
        e.SessionItems[TokenItem] = e.Password;
        e.SessionItems[Version5Item] = e.ProtocolVersion == MqttProtocolVersion.V500;
    }

    /// <summary>
    /// MQTTnet's CONNACK grants an unlimited receive maximum; the listener grants <see cref="MqttOptions.ReceiveMaximum"/>
    /// so that an MQTT 5 client stops sending, rather than queue in the socket, while its messages wait for the buffer.
    /// </summary>
    private Task GrantReceiveMaximum(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttConnAckPacket { ReasonCode: MqttConnectReasonCode.Success } connAck)
            connAck.ReceiveMaximum = (ushort)options.Value.ReceiveMaximum;
        return Task.CompletedTask;
    }

    private async Task Publish(InterceptingPublishEventArgs e)
    {
        // The hub's own refusals go to whoever subscribed; units' messages are taken, never passed on.
        if (e.ClientId == HubClientId) return;
        e.ProcessPublish = false;
        var topic = e.ApplicationMessage.Topic;
        if (e.SessionItems[TokenItem] is not string token)
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }
        MqttVerdict verdict;
        try
        {
            verdict = await telemetry.Write(token, topic, e.ApplicationMessage.Payload, e.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "An MQTT message on {Topic} could not be written", topic);
            verdict = new MqttVerdict(StatusCodes.Status503ServiceUnavailable, "overloaded", "The hub could not take the message; publish it again.", 0, null);
        }
        if (verdict.Accepted) return;

        if ((verdict.Transient || verdict.Status == StatusCodes.Status401Unauthorized) && e.SessionItems[Version5Item] is not true)
        {
            // MQTT 3.1.1 has no refusing PUBACK: any PUBACK would tell the unit the points are kept. Closing the
            // connection instead leaves the message unacknowledged, and the unit sends it again on reconnecting
            // (or, with a revoked token, cannot reconnect at all).
            e.CloseConnection = true;
            return;
        }
        e.Response.ReasonCode = verdict.PubAck;
        e.Response.ReasonString = verdict.Message;
        if (verdict.Unit is { } unit && verdict.Status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden) && _server is { } server)
        {
            var error = new MqttApplicationMessageBuilder()
                .WithTopic(MqttTopic.ErrorsOf(unit))
                .WithPayload(MqttTelemetry.ErrorPayload(topic, verdict))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(error) { SenderClientId = HubClientId }, e.CancellationToken);
        }
    }

    private async Task Subscribe(InterceptingSubscriptionEventArgs e)
    {
        var unit = MqttTopic.ReplyTopicUnit(e.TopicFilter.Topic);
        var granted = false;
        if (unit is not null && e.SessionItems[TokenItem] is string token)
        {
            var (check, grant) = await tokens.Authenticate("Token " + token, e.CancellationToken);
            granted = check == TokenCheck.Granted && grant!.Covers(unit);
        }
        if (granted) return;
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        e.Response.ReasonString = $"A unit may subscribe only to {MqttTopic.Root}/{{unit}}/{MqttTopic.Errors} or {MqttTopic.Root}/{{unit}}/{MqttTopic.Commands} of its own units.";
    }
}
