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
    /// consecutive points of the same unit and timestamp, at millisecond precision. A line's prefix and a field's key are
    /// copied from <paramref name="strings"/>, which a caller that writes many requests keeps: a spread request has a line
    /// for every point, and encoding each prefix again took a fifth of the time a spread point took to write
    /// (BENCHMARKS.md, "The load generator's lines").
    /// </summary>
    public static void WriteLineProtocol(ArrayBufferWriter<byte> buffer, ReadOnlySpan<OutgoingPoint> points, string measurement, string? extraTags,
        LineStrings? strings = null)
    {
        strings ??= new LineStrings();
        var i = 0;
        while (i < points.Length)
        {
            var first = points[i];
            Bytes(buffer, strings.Prefix(first.Unit, first.Tags, measurement, extraTags));
            var j = i;
            while (j < points.Length && ReferenceEquals(points[j].Unit, first.Unit) && ReferenceEquals(points[j].Tags, first.Tags) && points[j].TimestampMs == first.TimestampMs)
            {
                if (j > i) Bytes(buffer, ","u8);
                Bytes(buffer, strings.Key(points[j].Metric));
                var span = buffer.GetSpan(32);
                points[j].Value.TryFormat(span, out var n, "R", CultureInfo.InvariantCulture);
                buffer.Advance(n);
                j++;
            }
            var ts = buffer.GetSpan(26);
            ts[0] = (byte)' ';
            Utf8Formatter.TryFormat(first.TimestampMs, ts[1..], out var written);
            ts[1 + written] = (byte)'\n';
            buffer.Advance(written + 2);
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

    private static void Bytes(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }
}

/// <summary>
/// The UTF-8 of what one generator writes on every line: each unit's line prefix and each metric's key, made once. Kept by
/// the strings' references (a generator's units and metrics are the same objects from request to request); one per worker.
/// </summary>
public sealed class LineStrings
{
    private readonly Dictionary<string, (string? Tags, byte[] Prefix)> _prefixes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, byte[]> _keys = new(ReferenceEqualityComparer.Instance);
    private string? _measurement, _extraTags;

    /// <summary><c>measurement,unit=…[,tags][,extra] </c> as UTF-8.</summary>
    public byte[] Prefix(string unit, string? tags, string measurement, string? extraTags)
    {
        if (!ReferenceEquals(measurement, _measurement) || !ReferenceEquals(extraTags, _extraTags))
        {
            _prefixes.Clear();
            (_measurement, _extraTags) = (measurement, extraTags);
        }
        if (_prefixes.TryGetValue(unit, out var known) && ReferenceEquals(known.Tags, tags)) return known.Prefix;
        var prefix = Encoding.UTF8.GetBytes(MakePrefix(unit, tags, measurement, extraTags));
        _prefixes[unit] = (tags, prefix);
        return prefix;
    }

    /// <summary><c>metric=</c> as UTF-8.</summary>
    public byte[] Key(string metric)
    {
        if (!_keys.TryGetValue(metric, out var key))
            _keys[metric] = key = Encoding.UTF8.GetBytes(metric + "=");
        return key;
    }

    private static string MakePrefix(string unit, string? tags, string measurement, string? extraTags) =>
        measurement + ",unit=" + unit + (string.IsNullOrEmpty(tags) ? "" : "," + tags) + (string.IsNullOrEmpty(extraTags) ? "" : "," + extraTags) + " ";
}
