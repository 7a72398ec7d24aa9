using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;

namespace Ioc.Ingest.Mqtt;

/// <summary>What became of one MQTT message.</summary>
/// <param name="Status">The HTTP status the same request would have got.</param>
/// <param name="Reason">Why it was refused, as counted in the metrics; <c>accepted</c> when it was not.</param>
/// <param name="Message">What was wrong, and where; null when accepted.</param>
/// <param name="Points">Points accepted.</param>
/// <param name="Unit">The unit the topic names, when it names one.</param>
public sealed record MqttVerdict(int Status, string Reason, string? Message, int Points, string? Unit)
{
    /// <summary>Whether the points are in the write-ahead buffer.</summary>
    public bool Accepted => Status is >= 200 and < 300;

    /// <summary>Whether the same message may succeed later: the hub was full, the token over its rate, or tokens unverifiable.</summary>
    public bool Transient => Status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable;

    /// <summary>The MQTT 5 PUBACK reason code for this verdict.</summary>
    public MqttPubAckReasonCode PubAck => Status switch
    {
        >= 200 and < 300 => MqttPubAckReasonCode.Success,
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => MqttPubAckReasonCode.NotAuthorized,
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => MqttPubAckReasonCode.QuotaExceeded,
        StatusCodes.Status503ServiceUnavailable => MqttPubAckReasonCode.ImplementationSpecificError,
        _ when Reason == "topic" => MqttPubAckReasonCode.TopicNameInvalid,
        _ => MqttPubAckReasonCode.PayloadFormatInvalid,
    };
}

/// <summary>
/// Writes MQTT messages through exactly the path a <c>POST /api/v1/telemetry</c> takes: the message becomes
/// that request (see <see cref="MqttPayload"/>) and the endpoint's own handler judges it: the token, its rate
/// limit, the size limit, the parser, the scope, the time window, and the write-ahead buffer. A verdict of
/// accepted therefore means what a 202 means: the points are on local disk.
/// </summary>
public sealed class MqttTelemetry(
    WriteGate gate, Catalog catalog, IOptions<IngestOptions> ingest, IOptions<MqttOptions> options,
    IMeterFactory meters, TimeProvider time, ILogger<MqttTelemetry> logger)
{
    /// <summary>Name of the meter the MQTT counters are on.</summary>
    public const string MeterName = "Ioc.Ingest.Mqtt";

    private readonly Counter<long> _messages = meters.Create(MeterName).CreateCounter<long>("ioc.ingest.mqtt.messages", "{message}",
        "MQTT messages taken, by outcome: accepted, or the reason they were refused (malformed, unit, metric, value, ts, topic, forbidden, unauthorized, too-large, rate-limited, overloaded).");
    private readonly Counter<long> _points = meters.Create(MeterName).CreateCounter<long>("ioc.ingest.mqtt.points", "{point}",
        "Points accepted over MQTT.");
    private readonly ConcurrentDictionary<string, (long LoggedAt, long Suppressed)> _logged = new(StringComparer.Ordinal);

    /// <summary>Writes one message published by the holder of <paramref name="token"/> on <paramref name="topic"/>.</summary>
    public async Task<MqttVerdict> Write(string token, string topic, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        var verdict = await Judge(token, topic, payload, cancellationToken);
        _messages.Add(1, new KeyValuePair<string, object?>("outcome", verdict.Reason));
        if (verdict.Accepted)
            _points.Add(verdict.Points);
        else
            LogRefusal(topic, verdict);
        return verdict;
    }

    private async Task<MqttVerdict> Judge(string token, string topicName, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        if (!MqttTopic.TryParse(topicName, out var topic))
            return new MqttVerdict(StatusCodes.Status400BadRequest, "topic", $"'{topicName}' is not a telemetry topic; publish to ioc/{{unit}} or ioc/{{unit}}/{{metric}}.", 0, null);
        if (payload.Length > ingest.Value.MaxBodyBytes)
            return new MqttVerdict(StatusCodes.Status413PayloadTooLarge, "too-large", $"The message is larger than the limit of {ingest.Value.MaxBodyBytes} bytes.", 0, topic.Unit);
        var body = MqttPayload.ToRequestBody(topic, payload, out var refusal);
        if (body is null)
            return new MqttVerdict(StatusCodes.Status403Forbidden, "forbidden", refusal, 0, topic.Unit);

        // The HTTP endpoint itself, handed the request this message stands for: one home for ingest validation.
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Post;
        http.Request.Path = "/api/v1/telemetry";
        http.Request.ContentType = "application/json";
        http.Request.Headers.Authorization = "Token " + token;
        http.Request.ContentLength = body.Length;
        http.Request.Body = new MemoryStream(body, writable: false);
        var result = await TelemetryEndpoints.PostTelemetry(http, gate, catalog, cancellationToken);
        return result.Result switch
        {
            Accepted<TelemetryEndpoints.AcceptedResponse> accepted => new MqttVerdict(StatusCodes.Status202Accepted, "accepted", null, accepted.Value?.Accepted ?? 0, topic.Unit),
            ProblemHttpResult problem => new MqttVerdict(problem.StatusCode, Reason(problem), problem.ProblemDetails.Detail, 0, topic.Unit),
            var other => new MqttVerdict(StatusCodes.Status503ServiceUnavailable, "overloaded", $"Unexpected answer {other?.GetType().Name}.", 0, topic.Unit),
        };
    }

    private static string Reason(ProblemHttpResult problem) => problem.StatusCode switch
    {
        StatusCodes.Status400BadRequest => problem.ProblemDetails.Extensions.TryGetValue("field", out var field) && field is string name ? name : "malformed",
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status413PayloadTooLarge => "too-large",
        StatusCodes.Status415UnsupportedMediaType => "malformed",
        StatusCodes.Status429TooManyRequests => "rate-limited",
        _ => "overloaded",
    };

    /// <summary>
    /// Logs a refusal at most once per <see cref="MqttOptions.RefusalLogInterval"/> for each reason, with how
    /// many were left out since: a unit sending garbage a thousand times a second must not flood the log.
    /// </summary>
    private void LogRefusal(string topic, MqttVerdict verdict)
    {
        var now = time.GetTimestamp();
        var interval = options.Value.RefusalLogInterval;
        var log = false;
        long suppressed = 0;
        _logged.AddOrUpdate(verdict.Reason,
            _ => { log = true; return (now, 0); },
            (_, last) =>
            {
                if (time.GetElapsedTime(last.LoggedAt, now) < interval)
                {
                    log = false;
                    return (last.LoggedAt, last.Suppressed + 1);
                }
                log = true;
                suppressed = last.Suppressed;
                return (now, 0);
            });
        if (log)
            logger.LogWarning("MQTT message on {Topic} refused ({Reason}, {Status}): {Message}; {Suppressed} more refused for the same reason since the last report",
                topic, verdict.Reason, verdict.Status, verdict.Message, suppressed);
    }

    /// <summary>The short error published to <c>ioc/{unit}/errors</c>.</summary>
    public static byte[] ErrorPayload(string topic, MqttVerdict verdict) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
        new MqttError(topic, verdict.Reason, verdict.Message ?? ""), MqttErrorJson.Default.MqttError);
}

/// <summary>A refusal as published on <c>ioc/{unit}/errors</c>.</summary>
/// <param name="Topic">The topic the refused message was published on.</param>
/// <param name="Reason">Why, in one word (the metrics' reason).</param>
/// <param name="Error">What was wrong, and where.</param>
public sealed record MqttError(string Topic, string Reason, string Error);

[System.Text.Json.Serialization.JsonSerializable(typeof(MqttError))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class MqttErrorJson : System.Text.Json.Serialization.JsonSerializerContext;
