using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Ioc.LoadGen;

/// <summary>How points travel.</summary>
public enum Protocol
{
    /// <summary>The hub's own <c>POST /api/v1/telemetry</c>, answered with 202.</summary>
    Json,
    /// <summary>InfluxDB line protocol, <c>POST /api/v2/write?precision=ms</c>, answered with 204 (the hub or the time-series server itself).</summary>
    LineProtocol,
    /// <summary>MQTT 5 at QoS 1 to the hub's listener: each unit's points of a batch as the JSON body on <c>ioc/{unit}</c>, answered with a PUBACK.</summary>
    Mqtt,
}

/// <summary>One point to send.</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="Value">The value.</param>
/// <param name="TimestampMs">Unix milliseconds.</param>
/// <param name="Tags">Further line-protocol tags of the unit, already escaped; ignored by the JSON encoding.</param>
public readonly record struct OutgoingPoint(string Unit, string Metric, double Value, long TimestampMs, string? Tags = null);

/// <summary>Encodes request bodies into a reusable buffer, so the generator costs the machine little beside the hub.</summary>
public static class PointWriter
{
    /// <summary>Where each protocol posts, relative to the server's base address.</summary>
    public static string PathOf(Protocol protocol) =>
        protocol == Protocol.Json ? "/api/v1/telemetry" : "/api/v2/write?org=ioc&bucket=ioc&precision=ms";

    /// <summary>The content type of a body.</summary>
    public static string ContentTypeOf(Protocol protocol) =>
        protocol == Protocol.Json ? "application/json" : "text/plain; charset=utf-8";

    /// <summary>Appends <c>{"points":[…]}</c>.</summary>
    public static void WriteJson(ArrayBufferWriter<byte> buffer, ReadOnlySpan<OutgoingPoint> points)
    {
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        json.WriteStartObject();
        json.WriteStartArray("points"u8);
        foreach (var p in points)
        {
            json.WriteStartObject();
            json.WriteString("unit"u8, p.Unit);
            json.WriteString("metric"u8, p.Metric);
            json.WriteNumber("value"u8, p.Value);
            json.WriteString("ts"u8, DateTimeOffset.FromUnixTimeMilliseconds(p.TimestampMs).UtcDateTime);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// Appends line protocol, <c>measurement,unit=…[,extra] metric=value,… ts</c>, one line per run of
    /// consecutive points of the same unit and timestamp, at millisecond precision.
    /// </summary>
    public static void WriteLineProtocol(ArrayBufferWriter<byte> buffer, ReadOnlySpan<OutgoingPoint> points, string measurement, string? extraTags)
    {
        var i = 0;
        while (i < points.Length)
        {
            var first = points[i];
            Ascii(buffer, measurement);
            Ascii(buffer, ",unit=");
            Ascii(buffer, first.Unit);
            if (!string.IsNullOrEmpty(first.Tags))
            {
                Ascii(buffer, ",");
                Ascii(buffer, first.Tags);
            }
            if (!string.IsNullOrEmpty(extraTags))
            {
                Ascii(buffer, ",");
                Ascii(buffer, extraTags);
            }
            Ascii(buffer, " ");
            var j = i;
            while (j < points.Length && ReferenceEquals(points[j].Unit, first.Unit) && ReferenceEquals(points[j].Tags, first.Tags) && points[j].TimestampMs == first.TimestampMs)
            {
                if (j > i) Ascii(buffer, ",");
                Ascii(buffer, points[j].Metric);
                Ascii(buffer, "=");
                var span = buffer.GetSpan(32);
                points[j].Value.TryFormat(span, out var n, "R", CultureInfo.InvariantCulture);
                buffer.Advance(n);
                j++;
            }
            Ascii(buffer, " ");
            var ts = buffer.GetSpan(24);
            Utf8Formatter.TryFormat(first.TimestampMs, ts, out var written);
            buffer.Advance(written);
            Ascii(buffer, "\n");
            i = j;
        }
    }

    /// <summary>Gzips <paramref name="body"/> into <paramref name="output"/>.</summary>
    public static void Gzip(ReadOnlySpan<byte> body, MemoryStream output)
    {
        output.SetLength(0);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        gzip.Write(body);
    }

    private static void Ascii(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
