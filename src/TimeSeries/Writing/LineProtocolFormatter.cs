using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Ioc.Contracts;
using InfluxDB.Client.Api.Domain;

namespace Ioc.TimeSeries;

/// <summary>
/// Writes points as InfluxDB line protocol in the hub's schema (<see cref="TelemetrySchema"/>):
/// <c>telemetry,department=…,locality=…,projects=;a;b;,unit=…[,extra tags] metric=value[,metric2=value2] timestamp</c>.
/// Points of one unit with the same tags and timestamp share a line. Timestamps use the coarsest
/// precision that loses nothing for any point of the batch.
/// </summary>
/// <remarks>
/// Thread-safe: every request is formatted once, on its way into the write-ahead buffer, on the thread
/// that took it. A unit's series prefix (its catalog tags, escaped) is made once and reused as bytes, as
/// are metric keys and a unit's own tags; a point costs its value and nothing else. For the write-ahead buffer a line may
/// start with its unit's id instead of the prefix (<c>compact</c>), which <see cref="Expand"/> puts back when it is sent.
/// </remarks>
public sealed class LineProtocolFormatter
{
    private readonly Catalog _catalog;
    private readonly ConcurrentDictionary<string, byte[]> _prefixes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]?> _extraTags = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _unitRefs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<byte[], byte[]> _prefixesByUnit = new(Utf8Keys.Comparer);
    private readonly ConcurrentDictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _prefixesByUnitSpan;

    /// <summary>Writes the catalog's tags of each unit in <paramref name="catalog"/>.</summary>
    public LineProtocolFormatter(Catalog catalog)
    {
        _catalog = catalog;
        _prefixesByUnitSpan = _prefixesByUnit.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The batch as line protocol, one string, and the precision its timestamps are in.</summary>
    public (string Text, WritePrecision Precision) Format(IReadOnlyList<TelemetryPoint> points)
    {
        var (buffer, length, precision) = FormatUtf8(points);
        try
        {
            return (Encoding.UTF8.GetString(buffer, 0, length), precision);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The batch as UTF-8 line protocol in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the
    /// caller returns it), and the precision its timestamps are in.
    /// </summary>
    /// <param name="points">The points, in order.</param>
    /// <param name="compact">
    /// Whether each line starts with its unit's id (a varint length and the UTF-8 id) in place of the measurement and the
    /// catalog's tags, as the write-ahead buffer keeps it; <see cref="Expand"/> puts the prefix back.
    /// </param>
    public (byte[] Buffer, int Length, WritePrecision Precision) FormatUtf8(IReadOnlyList<TelemetryPoint> points, bool compact = false)
    {
        var precision = CoarsestPrecision(points);
        var divisor = Divisor(precision);
        // A spread request (every point from another unit) costs a line of about 100 bytes a point: room for that at once.
        var output = new Output(ArrayPool<byte>.Shared.Rent(Math.Max(256, points.Count * 112)));
        string? unit = null, tags = null;
        long ticks = 0;
        var lineStart = -1;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var t = p.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
            if (lineStart >= 0 && t == ticks && ReferenceOrEqual(p.Unit, unit) && ReferenceOrEqual(p.ExtraTags, tags) && !InLine(points, lineStart, i, p.Metric))
            {
                output.Append((byte)',');
            }
            else
            {
                if (lineStart >= 0) EndLine(ref output, ticks, divisor, precision);
                output.Append(compact ? UnitRefOf(p.Unit) : PrefixOf(p.Unit));
                if (ExtraTagsOf(p.ExtraTags) is { } extra)
                {
                    output.Append((byte)',');
                    output.Append(extra);
                }
                output.Append((byte)' ');
                (unit, tags, ticks, lineStart) = (p.Unit, p.ExtraTags, t, i);
            }
            output.Append(KeyOf(p.Metric));
            output.Append((byte)'=');
            output.AppendValue(p.Value);
        }
        if (lineStart >= 0) EndLine(ref output, ticks, divisor, precision, last: true);
        return (output.Buffer, output.Length, precision);
    }

    /// <summary>
    /// The batch as <see cref="FormatUtf8"/> writes it, byte for byte, but made from the request's own bytes: each
    /// received line gets its unit's catalog prefix (made once per unit) and its own tags, and its field set and
    /// timestamp are copied from <paramref name="body"/>; no number is formatted, except the hub's stamp on lines
    /// that came without a timestamp. False, with nothing rented, when the points would not be laid out as received
    /// (a line the formatter would split, or a timestamp that does not shift to the batch's precision by its zeros):
    /// the caller then formats the points.
    /// </summary>
    /// <param name="points">The request's points, in the order of its lines and, within a line, of its fields.</param>
    /// <param name="body">The request's body, which <paramref name="lines"/> point into.</param>
    /// <param name="lines">Every line of the request, in order; together they cover <paramref name="points"/>.</param>
    /// <param name="received">The precision of the request's timestamps.</param>
    /// <param name="formatted">The lines, in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it), and their precision.</param>
    /// <param name="compact">Whether each line starts with its unit's id in place of its prefix, as in <see cref="FormatUtf8"/>.</param>
    public bool TrySpliceUtf8(IReadOnlyList<TelemetryPoint> points, ReadOnlySpan<byte> body, ReadOnlySpan<ReceivedLine> lines, WritePrecision received,
        out (byte[] Buffer, int Length, WritePrecision Precision) formatted, bool compact = false)
    {
        formatted = default;
        var precision = CoarsestPrecision(points);
        // Digits to add to (or, when negative, zeros to take off) a received timestamp to write it in the batch's precision.
        var shift = Exponent(received) - Exponent(precision);
        var divisor = Divisor(precision);
        var output = new Output(ArrayPool<byte>.Shared.Rent(Math.Max(256, body.Length + lines.Length * 112)));
        string? unit = null, tags = null;
        long ticks = 0;
        var lineStart = -1;
        ReceivedLine open = default;
        long openTicks = 0;
        var covered = 0;
        foreach (var line in lines)
        {
            if (line.FirstPoint != covered || line.Points <= 0 || covered + line.Points > points.Count) goto Refuse;
            var first = points[line.FirstPoint];
            var t = first.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
            // The formatter's rule for joining a point to the line before, point by point: a received line must be
            // joined whole or start a line of its own, or its field set cannot be copied as one piece.
            var joins = false;
            for (var j = 0; j < line.Points; j++)
            {
                var i = line.FirstPoint + j;
                var p = points[i];
                var joined = lineStart >= 0 && p.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.Ticks == ticks
                    && ReferenceOrEqual(p.Unit, unit) && ReferenceOrEqual(p.ExtraTags, tags) && !InLine(points, lineStart, i, p.Metric);
                if (j == 0)
                {
                    joins = joined;
                    if (!joins) (unit, tags, ticks, lineStart) = (p.Unit, p.ExtraTags, t, i);
                }
                else if (!joined) goto Refuse;
            }
            if (joins)
            {
                output.Append((byte)',');
            }
            else
            {
                if (line.FirstPoint > 0 && !EndReceivedLine(ref output, body, open, shift, openTicks, divisor, precision)) goto Refuse;
                if (compact && line.UnitLength > 0)
                    output.AppendUnitRef(body.Slice(line.UnitAt, line.UnitLength));
                else
                    output.Append(compact ? UnitRefOf(first.Unit) : PrefixOf(first.Unit));
                if (ExtraTagsOf(first.ExtraTags) is { } extra)
                {
                    output.Append((byte)',');
                    output.Append(extra);
                }
                output.Append((byte)' ');
                (open, openTicks) = (line, t);
            }
            if (!AppendFields(ref output, body.Slice(line.FieldsAt, line.FieldsLength), line, points)) goto Refuse;
            covered += line.Points;
        }
        if (covered != points.Count) goto Refuse;
        if (lineStart >= 0 && !EndReceivedLine(ref output, body, open, shift, openTicks, divisor, precision, last: true)) goto Refuse;
        formatted = (output.Buffer, output.Length, precision);
        return true;

    Refuse:
        ArrayPool<byte>.Shared.Return(output.Buffer);
        return false;
    }

    // A received field set: whole when its keys are the catalog's ids and its values need nothing; else key by key, each
    // key the catalog's spelling (vehicle_count arrives, vehicle-count is written) and each value without its integer suffix.
    private bool AppendFields(ref Output output, ReadOnlySpan<byte> fields, ReceivedLine line, IReadOnlyList<TelemetryPoint> points)
    {
        if (line.Verbatim)
        {
            output.Append(fields);
            return true;
        }
        var at = 0;
        for (var k = 0; k < line.Points; k++)
        {
            var eq = fields[at..].IndexOf((byte)'=');
            if (eq < 0) return false;
            at += eq + 1;
            var end = fields[at..].IndexOf((byte)',');
            end = end < 0 ? fields.Length : at + end;
            var value = fields[at..end];
            if (value is [.., (byte)'i' or (byte)'u']) value = value[..^1];
            if (k > 0) output.Append((byte)',');
            output.Append(KeyOf(points[line.FirstPoint + k].Metric));
            output.Append((byte)'=');
            output.Append(value);
            at = end + 1;
        }
        return at >= fields.Length;
    }

    // The received timestamp moved to the batch's precision by its zeros, or the hub's stamp written as the formatter writes it.
    private static bool EndReceivedLine(ref Output output, ReadOnlySpan<byte> body, ReceivedLine line, int shift, long ticks, long divisor,
        WritePrecision precision, bool last = false)
    {
        if (line.TimestampLength == 0)
        {
            EndLine(ref output, ticks, divisor, precision, last);
            return true;
        }
        var digits = body.Slice(line.TimestampAt, line.TimestampLength);
        if (shift < 0)
        {
            var drop = -shift;
            var kept = digits.Length - drop;
            if (kept < 1 || digits[..kept] is [(byte)'-'] || digits[kept..].ContainsAnyExcept((byte)'0')) return false;
            digits = digits[..kept];
        }
        output.Append((byte)' ');
        output.Append(digits);
        for (var z = 0; z < shift; z++) output.Append((byte)'0');
        if (!last) output.Append((byte)'\n');
        return true;
    }

    private static int Exponent(WritePrecision precision) => precision switch
    {
        WritePrecision.S => 9,
        WritePrecision.Ms => 6,
        WritePrecision.Us => 3,
        _ => 0,
    };

    private static long Divisor(WritePrecision precision) => precision switch
    {
        WritePrecision.S => TimeSpan.TicksPerSecond,
        WritePrecision.Ms => TimeSpan.TicksPerMillisecond,
        WritePrecision.Us => 10L,
        _ => 1L,
    };

    /// <summary>The coarsest of s, ms, µs and ns that every timestamp of the batch is a whole multiple of.</summary>
    public static WritePrecision CoarsestPrecision(IReadOnlyList<TelemetryPoint> points)
    {
        var precision = WritePrecision.S;
        for (var i = 0; i < points.Count; i++)
        {
            var t = points[i].Timestamp.UtcTicks;
            if (t % 10 != 0) return WritePrecision.Ns;
            if (t % TimeSpan.TicksPerMillisecond != 0) precision = WritePrecision.Us;
            else if (t % TimeSpan.TicksPerSecond != 0 && precision == WritePrecision.S) precision = WritePrecision.Ms;
        }
        return precision;
    }

    private static void EndLine(ref Output output, long ticks, long divisor, WritePrecision precision, bool last = false)
    {
        output.Append((byte)' ');
        output.AppendInteger(precision == WritePrecision.Ns ? ticks * 100 : ticks / divisor);
        if (!last) output.Append((byte)'\n');
    }

    // A metric given twice at one instant starts a new line: a line may name a field once.
    private static bool InLine(IReadOnlyList<TelemetryPoint> points, int from, int to, string metric)
    {
        for (var i = from; i < to; i++)
            if (ReferenceOrEqual(points[i].Metric, metric)) return true;
        return false;
    }

    private static bool ReferenceOrEqual(string? a, string? b) => ReferenceEquals(a, b) || string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>
    /// Compact lines (<see cref="FormatUtf8"/> with <c>compact</c>) as the server takes them, appended to
    /// <paramref name="target"/> from <paramref name="length"/> on (the array grows as needed): each line's unit id
    /// replaced by its prefix, the measurement and the catalog's tags as they are now, the rest copied as it is.
    /// </summary>
    public void Expand(ReadOnlySpan<byte> compact, ref byte[] target, ref int length)
    {
        while (!compact.IsEmpty)
        {
            var idLength = (int)BufferRecord.ReadVarint(compact, 0, out var read);
            var unit = compact.Slice(read, idLength);
            compact = compact[(read + idLength)..];
            var newline = compact.IndexOf((byte)'\n');
            var rest = newline < 0 ? compact : compact[..(newline + 1)];
            compact = compact[rest.Length..];
            var prefix = PrefixOf(unit);
            if (length + prefix.Length + rest.Length > target.Length)
                Array.Resize(ref target, Math.Max(length + prefix.Length + rest.Length, target.Length * 2));
            prefix.CopyTo(target.AsSpan(length));
            length += prefix.Length;
            rest.CopyTo(target.AsSpan(length));
            length += rest.Length;
        }
    }

    private byte[] PrefixOf(ReadOnlySpan<byte> unit)
    {
        if (_prefixesByUnitSpan.TryGetValue(unit, out var prefix)) return prefix;
        prefix = PrefixOf(Encoding.UTF8.GetString(unit));
        _prefixesByUnitSpan.TryAdd(unit, prefix);
        return prefix;
    }

    private byte[] UnitRefOf(string unit) => _unitRefs.TryGetValue(unit, out var reference) ? reference : _unitRefs.GetOrAdd(unit, static u =>
    {
        var id = Encoding.UTF8.GetBytes(u);
        var reference = new byte[BufferRecord.VarintLength((ulong)id.Length) + id.Length];
        WriteUnitRef(reference, id);
        return reference;
    });

    private static int WriteUnitRef(Span<byte> target, ReadOnlySpan<byte> id)
    {
        var at = BufferRecord.WriteVarint(target, (ulong)id.Length);
        id.CopyTo(target[at..]);
        return at + id.Length;
    }

    private byte[] PrefixOf(string unit) => _prefixes.TryGetValue(unit, out var prefix) ? prefix : _prefixes.GetOrAdd(unit, MakePrefix);

    private byte[] MakePrefix(string unit)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal) { [TelemetrySchema.UnitTag] = unit };
        if (_catalog.TryGetEntity(unit, out var entity))
        {
            if (entity.Locality is { } locality) tags[TelemetrySchema.LocalityTag] = locality;
            if (entity.Department is { } department) tags[TelemetrySchema.DepartmentTag] = department;
            if (TelemetrySchema.ProjectsValue(entity.Projects) is { } projects) tags[TelemetrySchema.ProjectsTag] = projects;
        }
        return Encoding.UTF8.GetBytes(TelemetrySchema.Measurement + string.Concat(tags.Select(t => "," + Escaping.Escape(t.Key, Escaping.Element.Key) + "=" + Escaping.Escape(t.Value, Escaping.Element.Key))));
    }

    private byte[] KeyOf(string metric) => _keys.TryGetValue(metric, out var key) ? key : _keys.GetOrAdd(metric, m => Encoding.UTF8.GetBytes(Escaping.Escape(m, Escaping.Element.Key)));

    /// <summary>A unit's own tags, without any that would override the ones the hub derives from the catalog.</summary>
    private byte[]? ExtraTagsOf(string? extra)
    {
        if (string.IsNullOrEmpty(extra)) return null;
        if (_extraTags.TryGetValue(extra, out var kept)) return kept;
        var pairs = SplitUnescaped(extra, ',')
            .Where(pair => !TelemetrySchema.DerivedTags.Contains(SplitUnescaped(pair, '=').First()))
            .ToList();
        kept = pairs.Count == 0 ? null : Encoding.UTF8.GetBytes(string.Join(',', pairs));
        // Free-form tags could grow it without end; start over rather than hold them all.
        if (_extraTags.Count >= 10_000) _extraTags.Clear();
        _extraTags[extra] = kept;
        return kept;
    }

    private static IEnumerable<string> SplitUnescaped(string s, char separator)
    {
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] != separator) continue;
            yield return s[start..i];
            start = i + 1;
            if (separator == '=') break;
        }
        yield return s[start..];
    }

    /// <summary>A growable UTF-8 buffer rented from the shared pool.</summary>
    private struct Output(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;

        public void Append(byte b)
        {
            Ensure(1);
            Buffer[Length++] = b;
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(Buffer.AsSpan(Length));
            Length += bytes.Length;
        }

        /// <summary>A unit's id as a compact line starts with it: its length as a varint, then its UTF-8.</summary>
        public void AppendUnitRef(ReadOnlySpan<byte> id)
        {
            Ensure(BufferRecord.VarintLength((ulong)id.Length) + id.Length);
            Length += WriteUnitRef(Buffer.AsSpan(Length), id);
        }

        public void AppendValue(double value)
        {
            Ensure(32);
            value.TryFormat(Buffer.AsSpan(Length), out var n, "R", CultureInfo.InvariantCulture);
            Length += n;
        }

        public void AppendInteger(long value)
        {
            Ensure(24);
            value.TryFormat(Buffer.AsSpan(Length), out var n, provider: CultureInfo.InvariantCulture);
            Length += n;
        }

        private void Ensure(int extra)
        {
            if (Length + extra <= Buffer.Length) return;
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Length + extra));
            Buffer.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = bigger;
        }
    }
}
