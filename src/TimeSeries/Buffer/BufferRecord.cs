using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Globalization;
using System.Text;
using InfluxDB.Client.Api.Domain;

namespace Ioc.TimeSeries;

/// <summary>
/// The binary form of one accepted request in the write-ahead buffer.
/// <code>
/// record  = length:u32le  crc:u32le  payload[length]         crc = CRC-32C over length and payload
/// payload = version:u8 (1)  arrival:i64le (unix ms)  count:varint  point*
///         | version:u8 (2)  arrival:i64le (unix ms)  count:varint  precision:u8  lines:utf8
///         | version:u8 (3)  arrival:i64le (unix ms)  count:varint  precision:u8  compact-lines
/// point   = flags:u8  [unit:str]  [metric:str]  [tags:str]  ticksDelta:zigzag-varint  value:f64le
/// str     = byteLength:varint  utf8
/// </code>
/// Version 1 is for the embedded store: a point carries its unit, metric and extra tags only when they
/// differ from the previous point's (flags 1, 2 and 4), so a request of many points from one unit costs
/// about 10 bytes a point. Timestamps are UTC ticks, each as the difference from the previous point's.
/// Version 2 is for a time-series server: the request already as the line protocol the server takes
/// (<see cref="LineProtocolFormatter"/>), timestamps in <c>precision</c> (a <see cref="WritePrecision"/>), so the
/// drainer sends it as it is.
/// Version 3 is version 2 with each line's measurement and catalog tags left out: a line starts with its unit's id
/// (<c>str</c>) and goes on as version 2's would after its prefix (the unit's own tags, fields and timestamp). The drainer
/// puts the prefix back (<see cref="LineProtocolFormatter.Expand"/>). A gateway's request has a line for every point, each
/// from another unit, and the prefix was most of each line: about 50 bytes a point are kept instead of about 115.
/// </summary>
internal static class BufferRecord
{
    public const int HeaderSize = 8;
    /// <summary>Larger lengths can only be garbage: no request comes near it.</summary>
    public const int MaxPayload = 512 << 20;
    private const byte Version = 1, LinesVersion = 2, CompactLinesVersion = 3;
    private const byte NewUnit = 1, NewMetric = 2, NewTags = 4;

    /// <summary>
    /// Encodes <paramref name="points"/> as a whole framed record into a buffer rented from
    /// <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// </summary>
    public static (byte[] Buffer, int Length) Encode(IReadOnlyList<TelemetryPoint> points, long arrivalUnixMs)
    {
        var bound = HeaderSize + 1 + 8 + 5;
        string? unit = null, metric = null, tags = null;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            bound += 1 + 10 + 8;
            if (i == 0 || !string.Equals(p.Unit, unit, StringComparison.Ordinal)) bound += 5 + Encoding.UTF8.GetMaxByteCount(p.Unit.Length);
            if (i == 0 || !string.Equals(p.Metric, metric, StringComparison.Ordinal)) bound += 5 + Encoding.UTF8.GetMaxByteCount(p.Metric.Length);
            if (i == 0 || !string.Equals(p.ExtraTags, tags, StringComparison.Ordinal)) bound += 5 + Encoding.UTF8.GetMaxByteCount(p.ExtraTags?.Length ?? 0);
            (unit, metric, tags) = (p.Unit, p.Metric, p.ExtraTags);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(bound);
        var span = buffer.AsSpan();
        var at = HeaderSize;
        span[at++] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], arrivalUnixMs);
        at += 8;
        at += WriteVarint(span[at..], (ulong)points.Count);
        long previousTicks = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var flagsAt = at++;
            byte flags = 0;
            if (i == 0 || !string.Equals(p.Unit, unit, StringComparison.Ordinal)) { flags |= NewUnit; at += WriteString(span[at..], p.Unit); }
            if (i == 0 || !string.Equals(p.Metric, metric, StringComparison.Ordinal)) { flags |= NewMetric; at += WriteString(span[at..], p.Metric); }
            if (i == 0 || !string.Equals(p.ExtraTags, tags, StringComparison.Ordinal)) { flags |= NewTags; at += WriteString(span[at..], p.ExtraTags); }
            span[flagsAt] = flags;
            var ticks = p.Timestamp.UtcTicks;
            at += WriteVarint(span[at..], ZigZag(ticks - previousTicks));
            previousTicks = ticks;
            BinaryPrimitives.WriteDoubleLittleEndian(span[at..], p.Value);
            at += 8;
            (unit, metric, tags) = (p.Unit, p.Metric, p.ExtraTags);
        }

        var payloadLength = at - HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Checksum(span[..4], span[HeaderSize..at]));
        return (buffer, at);
    }

    /// <summary>
    /// Encodes a request already formatted as line protocol as a whole framed record into a buffer rented
    /// from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
    /// </summary>
    /// <param name="compact">Whether the lines start with their units' ids (<see cref="LineProtocolFormatter.FormatUtf8"/>), kept as version 3.</param>
    public static (byte[] Buffer, int Length) EncodeLines(ReadOnlySpan<byte> lines, int points, WritePrecision precision, long arrivalUnixMs, bool compact = false)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderSize + 1 + 8 + 5 + 1 + lines.Length);
        var span = buffer.AsSpan();
        var at = HeaderSize;
        span[at++] = compact ? CompactLinesVersion : LinesVersion;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], arrivalUnixMs);
        at += 8;
        at += WriteVarint(span[at..], (ulong)points);
        span[at++] = (byte)precision;
        lines.CopyTo(span[at..]);
        at += lines.Length;
        var payloadLength = at - HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Checksum(span[..4], span[HeaderSize..at]));
        return (buffer, at);
    }

    /// <summary>Whether an intact payload holds line protocol (version 2 or 3) rather than points.</summary>
    public static bool HoldsLines(ReadOnlySpan<byte> payload) => payload[0] is LinesVersion or CompactLinesVersion;

    /// <summary>Whether an intact payload's lines start with their units' ids rather than their prefixes (version 3).</summary>
    public static bool HoldsCompactLines(ReadOnlySpan<byte> payload) => payload[0] == CompactLinesVersion;

    /// <summary>The line protocol of a version 2 or 3 payload, its precision and how many points it holds.</summary>
    public static ReadOnlySpan<byte> Lines(ReadOnlySpan<byte> payload, out WritePrecision precision, out int points)
    {
        if (!HoldsLines(payload)) throw new InvalidDataException($"Buffer record version {payload[0]} holds no line protocol.");
        points = (int)ReadVarint(payload, 9, out var read);
        var at = 9 + read;
        precision = (WritePrecision)payload[at];
        return payload[(at + 1)..];
    }

    /// <summary>The payload length in a header, or -1 when it cannot be one.</summary>
    public static int PayloadLength(ReadOnlySpan<byte> header)
    {
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return length is 0 or > MaxPayload ? -1 : (int)length;
    }

    /// <summary>Whether a whole framed record (header and payload) is intact.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> record) =>
        BinaryPrimitives.ReadUInt32LittleEndian(record[4..]) == Checksum(record[..4], record[HeaderSize..]);

    /// <summary>When the request was accepted, and how many points it holds; from an intact payload.</summary>
    public static (long ArrivalUnixMs, int Points) Summary(ReadOnlySpan<byte> payload)
    {
        if (payload[0] is not (Version or LinesVersion or CompactLinesVersion)) throw new InvalidDataException($"Unknown buffer record version {payload[0]}.");
        var arrival = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
        var count = ReadVarint(payload, 9, out _);
        return (arrival, (int)count);
    }

    /// <summary>Decodes the points of an intact payload into <paramref name="sink"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> payload, StringInterner strings, List<TelemetryPoint> sink)
    {
        if (HoldsLines(payload))
        {
            var lines = Lines(payload, out var precision, out _);
            DecodeLines(lines, precision, HoldsCompactLines(payload), strings, sink);
            return;
        }
        if (payload[0] != Version) throw new InvalidDataException($"Unknown buffer record version {payload[0]}.");
        var at = 9;
        var count = (int)ReadVarint(payload, at, out var read);
        at += read;
        string unit = "", metric = "";
        string? tags = null;
        long ticks = 0;
        for (var i = 0; i < count; i++)
        {
            var flags = payload[at++];
            if ((flags & NewUnit) != 0) unit = ReadString(payload, ref at, strings) ?? "";
            if ((flags & NewMetric) != 0) metric = ReadString(payload, ref at, strings) ?? "";
            if ((flags & NewTags) != 0) tags = ReadString(payload, ref at, strings);
            ticks += UnZigZag(ReadVarint(payload, at, out read));
            at += read;
            var value = BinaryPrimitives.ReadDoubleLittleEndian(payload[at..]);
            at += 8;
            sink.Add(new TelemetryPoint(unit, metric, value, new DateTimeOffset(ticks, TimeSpan.Zero), tags));
        }
    }

    /// <summary>
    /// Reads back the points of line protocol the hub wrote itself (<see cref="LineProtocolFormatter"/>): the
    /// tags derived from the catalog are dropped again, the unit's own tags kept as they were written. A compact line
    /// names its unit first and has no measurement or catalog tags.
    /// </summary>
    private static void DecodeLines(ReadOnlySpan<byte> text, WritePrecision precision, bool compact, StringInterner strings, List<TelemetryPoint> sink)
    {
        var ticksPerUnit = precision switch
        {
            WritePrecision.S => TimeSpan.TicksPerSecond,
            WritePrecision.Ms => TimeSpan.TicksPerMillisecond,
            WritePrecision.Us => 10L,
            _ => 0L,
        };
        byte[]? extraBuffer = null;
        while (!text.IsEmpty)
        {
            // A compact line's unit id comes first, by its length: its bytes are not searched for the line's end.
            string unit = "";
            if (compact)
            {
                var idLength = (int)ReadVarint(text, 0, out var read);
                unit = strings.Intern(text.Slice(read, idLength));
                text = text[(read + idLength)..];
            }
            var newline = text.IndexOf((byte)'\n');
            var line = newline < 0 ? text : text[..newline];
            text = newline < 0 ? default : text[(newline + 1)..];
            if (line.IsEmpty) continue;
            var seriesEnd = Escaping.IndexOfUnescaped(line, 0, (byte)' ');
            var fieldsEnd = Escaping.IndexOfUnescaped(line, seriesEnd + 1, (byte)' ');
            var series = line[..seriesEnd];
            var fields = line[(seriesEnd + 1)..fieldsEnd];
            var raw = long.Parse(line[(fieldsEnd + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var timestamp = new DateTimeOffset(DateTimeOffset.UnixEpoch.Ticks + (ticksPerUnit == 0 ? raw / 100 : raw * ticksPerUnit), TimeSpan.Zero);

            if (extraBuffer is null || extraBuffer.Length < series.Length) extraBuffer = new byte[Math.Max(256, series.Length)];
            var extraLength = 0;
            var at = Escaping.IndexOfUnescaped(series, 0, (byte)',');
            while (at < series.Length)
            {
                var end = Escaping.IndexOfUnescaped(series, at + 1, (byte)',');
                var pair = series[(at + 1)..end];
                var eq = Escaping.IndexOfUnescaped(pair, 0, (byte)'=');
                var key = pair[..eq];
                if (key.SequenceEqual("unit"u8))
                    unit = strings.Intern(pair[(eq + 1)..]);
                else if (!IsDerived(key))
                {
                    if (extraLength > 0) extraBuffer[extraLength++] = (byte)',';
                    pair.CopyTo(extraBuffer.AsSpan(extraLength));
                    extraLength += pair.Length;
                }
                at = end;
            }
            var tags = extraLength == 0 ? null : strings.Intern(extraBuffer.AsSpan(0, extraLength));

            at = 0;
            while (at < fields.Length)
            {
                var end = fields[at..].IndexOf((byte)',');
                var field = end < 0 ? fields[at..] : fields.Slice(at, end);
                var eq = field.IndexOf((byte)'=');
                var metric = strings.Intern(field[..eq]);
                var value = double.Parse(field[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
                sink.Add(new TelemetryPoint(unit, metric, value, timestamp, tags));
                at = end < 0 ? fields.Length : at + end + 1;
            }
        }
    }

    private static bool IsDerived(ReadOnlySpan<byte> key)
    {
        foreach (var derived in TelemetrySchema.DerivedTags)
            if (Encoding.ASCII.GetByteCount(derived) == key.Length && Ascii.Equals(key, derived)) return true;
        return false;
    }

    private static uint Checksum(ReadOnlySpan<byte> length, ReadOnlySpan<byte> payload) => ~Crc32C(Crc32C(~0u, length), payload);

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Checksum(ReadOnlySpan<byte> data) => ~Crc32C(~0u, data);

    /// <summary>CRC-32C, in hardware where the processor has it.</summary>
    private static uint Crc32C(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    private static int WriteString(Span<byte> span, string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            span[0] = 0;
            return 1;
        }
        // Ids are short; the length prefix is written after the bytes are, moved only if it needs more than one byte.
        var n = Encoding.UTF8.GetBytes(s, span[1..]);
        if (n < 0x80)
        {
            span[0] = (byte)n;
            return 1 + n;
        }
        var prefix = VarintLength((ulong)n);
        span.Slice(1, n).CopyTo(span[prefix..]);
        WriteVarint(span, (ulong)n);
        return prefix + n;
    }

    private static string? ReadString(ReadOnlySpan<byte> payload, ref int at, StringInterner strings)
    {
        var length = (int)ReadVarint(payload, at, out var read);
        at += read;
        if (length == 0) return null;
        var s = strings.Intern(payload.Slice(at, length));
        at += length;
        return s;
    }

    internal static int VarintLength(ulong v)
    {
        var n = 1;
        while (v >= 0x80) { v >>= 7; n++; }
        return n;
    }

    internal static int WriteVarint(Span<byte> span, ulong v)
    {
        var i = 0;
        while (v >= 0x80)
        {
            span[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[i++] = (byte)v;
        return i;
    }

    internal static ulong ReadVarint(ReadOnlySpan<byte> span, int at, out int read)
    {
        ulong v = 0;
        var shift = 0;
        read = 0;
        while (true)
        {
            var b = span[at + read++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
            shift += 7;
            if (shift > 63) throw new InvalidDataException("Malformed varint in a buffer record.");
        }
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));
    private static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
}

/// <summary>
/// Turns UTF-8 bytes into strings, handing back the same instance for the same text, so that the unit
/// and metric ids of millions of buffered points cost one string each.
/// </summary>
internal sealed class StringInterner(int capacity = 100_000)
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup => _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Intern(ReadOnlySpan<byte> utf8)
    {
        var max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        char[]? rented = null;
        var chars = max <= 256 ? stackalloc char[max] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetChars(utf8, chars);
            var lookup = Lookup;
            if (lookup.TryGetValue(chars[..n], out var s)) return s;
            // Free-form tags could grow it without end; start over rather than hold them all.
            if (_strings.Count >= capacity) _strings.Clear();
            s = new string(chars[..n]);
            _strings[s] = s;
            return s;
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>The catalog's own instance of <paramref name="s"/>, so that later look-ups compare references first.</summary>
    public void Add(string s) => _strings.TryAdd(s, s);
}
