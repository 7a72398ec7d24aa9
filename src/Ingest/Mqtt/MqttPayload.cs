using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ioc.Ingest.Mqtt;

/// <summary>
/// Turns an MQTT message into the body of the equivalent <c>POST /api/v1/telemetry</c> request, so that the
/// HTTP endpoint's own validation judges it: the topic's unit is filled in where a point leaves it out, and
/// the one-value form becomes a one-point request. The only rule of its own is the topic's: a message on
/// <c>ioc/{unit}</c> may carry points of that unit only, since the topic is what a broker's ACL vouches for.
/// </summary>
public static class MqttPayload
{
    /// <summary>
    /// The request body for a message, or null with <paramref name="refusal"/> naming the point that names
    /// another unit. A body that is not valid JSON is passed on as it is, so that the endpoint's parser
    /// reports it exactly as over HTTP.
    /// </summary>
    public static byte[]? ToRequestBody(MqttTopic topic, ReadOnlySequence<byte> payload, out string? refusal)
    {
        refusal = null;
        var bytes = payload.ToArray();
        try
        {
            return topic.Metric is null ? Points(topic.Unit, bytes, out refusal) : OneValue(topic, bytes, out refusal);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or DecoderFallbackException)
        {
            return topic.Metric is null ? bytes : OneValue(topic, Encoding.UTF8.GetString(bytes));
        }
    }

    /// <summary><c>{"points":[…]}</c> with the topic's unit in every point that has none.</summary>
    private static byte[]? Points(string unit, byte[] payload, out string? refusal)
    {
        refusal = null;
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        using var output = new MemoryStream(payload.Length + 64);
        using (var writer = new Utf8JsonWriter(output))
        {
            var inPoints = false;
            var sawUnit = false;
            var index = -1;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                        inPoints = reader.ValueTextEquals("points"u8);
                        writer.WritePropertyName(reader.GetString()!);
                        break;
                    case JsonTokenType.StartObject when inPoints && reader.CurrentDepth == 2:
                        index++;
                        sawUnit = false;
                        writer.WriteStartObject();
                        break;
                    case JsonTokenType.PropertyName when inPoints && reader.CurrentDepth == 3 && reader.ValueTextEquals("unit"u8):
                        sawUnit = true;
                        writer.WritePropertyName("unit");
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } named && named != unit)
                        {
                            refusal = $"points[{index}].unit: a message on '{MqttTopic.Root}/{unit}' may carry only unit '{unit}', not '{named}'.";
                            return null;
                        }
                        Copy(ref reader, writer);
                        break;
                    case JsonTokenType.EndObject when inPoints && reader.CurrentDepth == 2:
                        if (!sawUnit) writer.WriteString("unit", unit);
                        writer.WriteEndObject();
                        break;
                    default:
                        Copy(ref reader, writer);
                        break;
                }
            }
        }
        return output.ToArray();
    }

    /// <summary><c>{"points":[{"unit","metric",…}]}</c> from <c>{"value":…,"ts":…}</c>.</summary>
    private static byte[]? OneValue(MqttTopic topic, byte[] payload, out string? refusal)
    {
        refusal = null;
        var text = payload.AsSpan().Trim(" \t\r\n"u8);
        if (text.IsEmpty || text[0] != (byte)'{')
            return OneValue(topic, Encoding.UTF8.GetString(text));
        var reader = new Utf8JsonReader(text);
        using var output = new MemoryStream(payload.Length + 64);
        using (var writer = Start(output, topic))
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (name is "unit" or "metric")
                {
                    var expected = name == "unit" ? topic.Unit : topic.Metric;
                    if (reader.TokenType != JsonTokenType.String || reader.GetString() != expected)
                    {
                        refusal = $"points[0].{name}: a message on '{topic}' may carry only {name} '{expected}'.";
                        return null;
                    }
                    continue;
                }
                writer.WritePropertyName(name);
                CopyValue(ref reader, writer);
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw new JsonException("trailing content after the object");
            Finish(writer);
        }
        return output.ToArray();
    }

    /// <summary>A plain number: the value, measured now. Anything else goes on as a string, which the endpoint refuses as not a number.</summary>
    private static byte[] OneValue(MqttTopic topic, string text)
    {
        using var output = new MemoryStream(128);
        using (var writer = Start(output, topic))
        {
            writer.WritePropertyName("value");
            var trimmed = text.Trim();
            if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && IsJsonNumber(trimmed))
                writer.WriteRawValue(trimmed, skipInputValidation: true);
            else
                writer.WriteStringValue(trimmed);
            Finish(writer);
        }
        return output.ToArray();
    }

    private static bool IsJsonNumber(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.Number && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Utf8JsonWriter Start(Stream output, MqttTopic topic)
    {
        var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("points");
        writer.WriteStartObject();
        writer.WriteString("unit", topic.Unit);
        writer.WriteString("metric", topic.Metric);
        return writer;
    }

    private static void Finish(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Copies the current value, and everything in it when it is an object or an array.</summary>
    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var depth = reader.CurrentDepth;
        Copy(ref reader, writer);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        do
        {
            reader.Read();
            Copy(ref reader, writer);
        } while (reader.CurrentDepth > depth);
    }

    /// <summary>Copies the current token alone.</summary>
    private static void Copy(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject: writer.WriteStartObject(); break;
            case JsonTokenType.EndObject: writer.WriteEndObject(); break;
            case JsonTokenType.StartArray: writer.WriteStartArray(); break;
            case JsonTokenType.EndArray: writer.WriteEndArray(); break;
            case JsonTokenType.PropertyName: writer.WritePropertyName(reader.GetString()!); break;
            case JsonTokenType.String: writer.WriteStringValue(reader.GetString()); break;
            case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
            case JsonTokenType.True: writer.WriteBooleanValue(true); break;
            case JsonTokenType.False: writer.WriteBooleanValue(false); break;
            case JsonTokenType.Null: writer.WriteNullValue(); break;
        }
    }
}
