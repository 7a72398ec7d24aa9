using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Ioc.Ingest.Mqtt;

/// <summary>
/// Cluster mode: this Ingest takes its share of <c>ioc/#</c> from an external broker through a shared
/// subscription (<c>$share/{group}/…</c>), so each message reaches one Ingest. The session is persistent
/// (clean start off, a session expiry), so what is published while this process is down waits at the broker.
/// A message is acknowledged only once its points are in the write-ahead buffer; refusals that may pass
/// later (a full buffer) are retried here and hold the acknowledgement back, so the broker keeps the message.
/// The broker authenticates the units and its ACL limits each to its own topics; the hub checks, message by
/// message, what it checks over HTTP, with <see cref="MqttOptions.BrokerToken"/> as the token.
/// </summary>
public sealed class MqttBrokerLink(
    IOptions<MqttOptions> options, IOptions<IngestOptions> ingest, MqttTelemetry telemetry, IHostEnvironment environment,
    TimeProvider time, ILogger<MqttBrokerLink> logger) : BackgroundService
{
    /// <summary>Messages written at once; their acknowledgements still go out in the order they came, as MQTT requires.</summary>
    private const int InFlight = 64;

    private readonly Channel<(MqttApplicationMessageReceivedEventArgs Message, Task<MqttVerdict> Verdict)> _acks =
        Channel.CreateBounded<(MqttApplicationMessageReceivedEventArgs, Task<MqttVerdict>)>(InFlight);
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IMqttClient? _client;
    private CancellationToken _stopping;

    /// <summary>Completes once the first subscription to the broker is in place.</summary>
    internal Task Subscribed => _subscribed.Task;

    private string Token => options.Value.BrokerToken is { Length: > 0 } token ? token
        : environment.IsDevelopment() ? ingest.Value.DevToken ?? "" : "";

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var o = options.Value;
        using var client = new MqttClientFactory().CreateMqttClient();
        _client = client;
        client.ApplicationMessageReceivedAsync += Received;
        var acker = Acknowledge(stoppingToken);
        var clientOptions = ClientOptions(o);
        while (!stoppingToken.IsCancellationRequested)
        {
            var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task OnDisconnected(MqttClientDisconnectedEventArgs _)
            {
                disconnected.TrySetResult();
                return Task.CompletedTask;
            }
            client.DisconnectedAsync += OnDisconnected;
            try
            {
                var connected = await client.ConnectAsync(clientOptions, stoppingToken);
                var shared = $"$share/{o.SharedGroup}/{MqttTopic.Root}";
                await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter($"{shared}/+", MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter($"{shared}/+/+", MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build(), stoppingToken);
                logger.LogInformation("Taking MQTT telemetry from {Broker} as {ClientId} (session present: {SessionPresent})",
                    o.Broker, clientOptions.ClientId, connected.IsSessionPresent);
                _subscribed.TrySetResult();
                await disconnected.Task.WaitAsync(stoppingToken);
                logger.LogWarning("Lost the MQTT broker {Broker}; reconnecting", o.Broker);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Could not reach the MQTT broker {Broker}; retrying", o.Broker);
            }
            finally
            {
                client.DisconnectedAsync -= OnDisconnected;
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _acks.Writer.TryComplete();
        try
        {
            await acker;
        }
        catch (OperationCanceledException)
        {
        }
        if (client.IsConnected)
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
    }

    private MqttClientOptions ClientOptions(MqttOptions o)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(o.ClientId is { Length: > 0 } id ? id : $"ioc-ingest-{Environment.MachineName}")
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)o.SessionExpiry.TotalSeconds)
            .WithReceiveMaximum(InFlight);
        var broker = o.Broker!;
        if (broker.Contains("://", StringComparison.Ordinal))
            builder.WithConnectionUri(broker);
        else
        {
            var colon = broker.LastIndexOf(':');
            builder.WithTcpServer(colon < 0 ? broker : broker[..colon], colon < 0 ? 1883 : int.Parse(broker[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
        if (!string.IsNullOrEmpty(o.BrokerUser))
            builder.WithCredentials(o.BrokerUser, o.BrokerPassword);
        return builder.Build();
    }

    /// <summary>Starts writing a message and queues its acknowledgement behind those of earlier messages.</summary>
    private async Task Received(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        if (!MqttTopic.TryParse(e.ApplicationMessage.Topic, out _) && MqttTopic.ReplyTopicUnit(e.ApplicationMessage.Topic) is not null)
        {
            // The hub's own replies on ioc/{unit}/errors come back through ioc/+/+: not telemetry.
            await _acks.Writer.WriteAsync((e, Task.FromResult<MqttVerdict>(null!)), _stopping);
            return;
        }
        await _acks.Writer.WriteAsync((e, Write(e)), _stopping);
    }

    private async Task<MqttVerdict> Write(MqttApplicationMessageReceivedEventArgs e)
    {
        var topic = e.ApplicationMessage.Topic;
        // Copied: the client reuses the payload's buffer once the handler returns.
        var payload = new ReadOnlySequence<byte>(e.ApplicationMessage.Payload.ToArray());
        await Task.Yield();
        while (true)
        {
            MqttVerdict verdict;
            try
            {
                verdict = await telemetry.Write(Token, topic, payload, _stopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "An MQTT message on {Topic} could not be written; trying again", topic);
                verdict = new MqttVerdict(StatusCodes.Status503ServiceUnavailable, "overloaded", ex.Message, 0, null);
            }
            if (!verdict.Transient)
                return verdict;
            // Not acknowledged yet, so the broker still holds it (and, past the receive maximum, holds back the rest).
            await Task.Delay(TimeSpan.FromSeconds(1), time, _stopping);
        }
    }

    /// <summary>Acknowledges messages in the order they arrived, each once its write has ended.</summary>
    private async Task Acknowledge(CancellationToken cancellationToken)
    {
        await foreach (var (message, pending) in _acks.Reader.ReadAllAsync(cancellationToken))
        {
            var verdict = await pending;
            if (verdict is { Accepted: false })
            {
                message.ReasonCode = (MqttApplicationMessageReceivedReasonCode)(int)verdict.PubAck;
                message.ResponseReasonString = verdict.Message;
                await PublishError(message.ApplicationMessage.Topic, verdict);
            }
            await message.AcknowledgeAsync(cancellationToken);
        }
    }

    private async Task PublishError(string topic, MqttVerdict verdict)
    {
        if (verdict.Unit is not { } unit || _client is not { IsConnected: true } client) return;
        try
        {
            // QoS 0: a refusal notice is best effort, and waiting here for the broker's PUBACK would hold back every acknowledgement.
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(MqttTopic.ErrorsOf(unit))
                .WithPayload(MqttTelemetry.ErrorPayload(topic, verdict))
                .Build(), _stopping);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug(ex, "Could not publish a refusal to {Unit}'s error topic", unit);
        }
    }
}
