using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Unicode;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// Turns a line protocol body into telemetry points, by the hub's mapping: the <c>unit</c> tag names the
/// unit; a field whose key is a catalog metric id (or the id with underscores for hyphens) is that metric;
/// a field named <c>value</c> is the metric the measurement names; booleans are 1 and 0; other tags are
/// kept, escaped and sorted, in <see cref="TelemetryPoint.ExtraTags"/>. Unit and metric ids are looked up
/// in the catalog straight from the bytes, so a field costs nothing beyond its slot in the result; a line
/// costs one string for its extra tags, and none when they repeat one of the last few lines'. A tag set found valid
/// once is remembered as written, with its unit and extra tags (<see cref="TagSetCache"/>), so a line whose tags came
/// before is not unescaped, sorted and looked up again: a gateway's request names a different unit on every line, and
/// the same units come back in every request.
/// </summary>
public sealed class TelemetryLines
{
    private const string UnitTag = "unit";
    private static readonly byte[][] DerivedTags = [.. TelemetrySchema.DerivedTags.Select(Encoding.UTF8.GetBytes)];

    private readonly Catalog _catalog;
    private readonly TagSetCache _tagSets = new();
    // Each unit's metrics as bits, made when a tag set naming it is first checked: a line whose set is not remembered (the
    // cache full, or a set too long to keep) costs one lookup here, not one per metric of its unit.
    private readonly ConcurrentDictionary<string, MetricBits> _unitMetrics = new(StringComparer.Ordinal);

    /// <summary>Looks units and metrics up in the catalog itself.</summary>
    public TelemetryLines(Catalog catalog) => _catalog = catalog;

    /// <summary>
    /// Parses a whole body into <paramref name="points"/>, holding each line to <paramref name="rules"/> as it goes.
    /// On any error the first error is returned and <paramref name="points"/> must be discarded. When
    /// <paramref name="received"/> is given, it notes where each line lies in the body, so that the request can be
    /// written on from its own bytes.
    /// </summary>
    public IngestError? Parse(ReadOnlySpan<byte> body, Precision precision, in IngestRules rules, List<TelemetryPoint> points, ReceivedLines? received = null)
    {
        // Room for every point and every line up front, so that neither list grows while the body is read: a spread
        // request's 500 lines are noted without the list growing nine times, and a unit-major request's 500 points did not
        // fit a list sized by its 50 lines (it grew four times, copying 48 bytes a point each time).
        var lines = body.Count((byte)'\n') + 1;
        points.EnsureCapacity(EstimatePoints(body, lines, rules.MaxPoints));
        received?.Start(precision, lines);
        // Line protocol is UTF-8 throughout, comments included: a body that is not is refused whole, as the JSON
        // endpoint refuses one. (A bad byte in a skipped comment was accepted; the fuzz property found it.)
        if (!Utf8.IsValid(body))
            return IngestError.AtLine(LineOfFirstInvalidUtf8(body), "the body is not valid UTF-8");
        using var scratch = new Scratch();
        var reader = new LineReader(body);
        while (true)
        {
            var status = reader.Read(out var line, out var syntax);
            if (status == ReadStatus.End) break;
            if (status == ReadStatus.Error)
                return IngestError.AtLine(syntax.Line, syntax.Message);
            var error = ParseLine(line, precision, rules, scratch, points, received);
            if (error is not null) return error;
        }
        return points.Count == 0 ? IngestError.AtLine(0, "writing requires points") : null;
    }

    /// <summary>
    /// About how many points a body holds: every tag and every field holds one <c>=</c>, and every line names its unit in a
    /// tag. Exact when each line is a point with the unit tag alone; more by each further tag; fewer when blank lines or
    /// comments count as lines, and the list then grows as before.
    /// </summary>
    internal static int EstimatePoints(ReadOnlySpan<byte> body, int lines, int maxPoints) =>
        Math.Clamp(body.Count((byte)'=') - lines + 1, 1, Math.Max(1, maxPoints));

    private IngestError? ParseLine(Line line, Precision precision, in IngestRules rules, Scratch scratch, List<TelemetryPoint> points, ReceivedLines? received)
    {
        var number = line.Number;
        IngestError Invalid(string message) => IngestError.AtLine(number, message);

        if (IngestRules.BadMeasurement(line.Measurement) is { } badMeasurement)
            return Invalid(badMeasurement);

        if (!_tagSets.TryGet(line.Tags, rules.Limits.Tags, out var known) && CheckTags(line, rules, scratch, out known) is { } tagError)
            return Invalid(tagError);
        if (rules.OutsideScope(known.UnitId) is { } forbidden)
            return IngestError.AtLine(number, forbidden, IngestErrorKind.Forbidden);

        var timestamp = rules.Now;
        if (!line.Timestamp.IsEmpty)
        {
            if (!FieldValue.TryParseInteger(line.Timestamp, out var raw)
                || !Precisions.TryToInstant(raw, precision, out timestamp))
                return Invalid($"timestamp {Encoding.UTF8.GetString(line.Timestamp)} is out of range for precision {PrecisionName(precision)}");
            if (rules.OutsideWindow(timestamp) is { } window)
                return Invalid(window);
        }

        // Whether the line can be written on from its own bytes, and whether its field set can go in one piece.
        var passes = received is { PassThrough: true } && (line.Timestamp.IsEmpty || ReceivedLines.IsCanonicalTimestamp(line.Timestamp, precision));
        var verbatim = true;
        var first = points.Count;
        foreach (var field in line.EnumerateFields())
        {
            var metric = ResolveMetric(field.Key, line.Measurement, scratch, out var ordinal);
            if (metric is null)
                return Invalid($"field '{Escaping.UnescapeToString(field.Key, Escaping.Element.Key)}' is not a metric the hub knows; "
                    + "field keys name catalog metrics (such as pm25 or vehicle_count), or the measurement names the metric and the field is called 'value'");
            if (!known.Metrics.Contains(ordinal))
                return Invalid($"unit '{known.UnitId}' does not report metric '{metric.Id}'");
            var value = field.Value;
            double reading;
            switch (value.Kind)
            {
                case FieldKind.Float: reading = value.Float; break;
                case FieldKind.Integer: reading = value.Integer; break;
                case FieldKind.Unsigned: reading = value.Unsigned; break;
                case FieldKind.Boolean: reading = value.Boolean ? 1 : 0; break;
                case FieldKind.String:
                    return Invalid($"field '{Escaping.UnescapeToString(field.Key, Escaping.Element.Key)}' is a string, but metric '{metric.Id}' takes numbers");
                default:
                    return Invalid($"field '{Escaping.UnescapeToString(field.Key, Escaping.Element.Key)}' has an invalid value '{Escaping.Display(value.Raw)}' "
                        + "(expected a float such as 1.5, an integer such as 42i, an unsigned integer such as 42u, or a boolean)");
            }
            if (!double.IsFinite(reading))
                return Invalid($"field '{Escaping.UnescapeToString(field.Key, Escaping.Element.Key)}' is not a finite number");
            for (var i = first; i < points.Count; i++)
                if (ReferenceEquals(points[i].Metric, metric.Id))
                    return Invalid($"metric '{metric.Id}' is given twice on the line");
            if (!rules.HasRoomAfter(points.Count))
                return IngestError.AtLine(number, $"the request has more than {rules.MaxPoints} points; send at most {rules.MaxPoints} per request", IngestErrorKind.TooLarge);
            points.Add(new TelemetryPoint(known.UnitId, metric.Id, reading, timestamp, known.ExtraTags));
            if (passes)
            {
                (passes, verbatim) = value.Kind switch
                {
                    FieldKind.Float => (ReceivedLines.IsShortestFloat(value.Raw), verbatim),
                    FieldKind.Integer or FieldKind.Unsigned => (ReceivedLines.IsShortInteger(value.Raw), false),
                    _ => (false, false),
                };
                // A key spelt otherwise (vehicle_count, or value for the measurement's metric) is written from the catalog.
                if (passes && !Ascii.Equals(field.Key, metric.Id))
                    (passes, verbatim) = (!Escaping.HasEscapes(field.Key), false);
            }
        }
        if (passes)
            received!.Add(new ReceivedLine(first, points.Count - first, line.FieldsAt, line.Fields.Length, line.TimestampAt, line.Timestamp.Length, verbatim,
                line.TagsAt + known.UnitAt, known.UnitLength));
        else if (received is { PassThrough: true })
            received.Refuse();
        return null;
    }

    // Tags: unescape, sort by key, find the unit, keep the rest. A tag set found valid is remembered with what it gave.
    private string? CheckTags(Line line, in IngestRules rules, Scratch scratch, out KnownTags known)
    {
        known = default;
        var count = scratch.CollectTags(line);
        var tags = scratch.Slots.AsSpan(0, count);
        if (rules.TooManyTags(count) is { } tooMany)
            return tooMany;
        CatalogEntity? found = null;
        int longestKey = 0, longestValue = 0;
        for (var i = 0; i < tags.Length; i++)
        {
            var key = scratch.KeyOf(tags[i]);
            var tagValue = scratch.ValueOf(tags[i]);
            if (rules.BadTag(key, tagValue) is { } badTag)
                return badTag;
            if (i > 0 && key.SequenceEqual(scratch.KeyOf(tags[i - 1])))
                return $"tag '{Encoding.UTF8.GetString(key)}' appears twice";
            if (key.SequenceEqual("unit"u8))
            {
                if (!TryUnit(tagValue, out var entity))
                    return $"unit '{Encoding.UTF8.GetString(tagValue)}' is not in the catalog";
                if (entity.Kind != EntityKind.Unit)
                    return $"'{entity.Id}' is a {entity.Kind.ToString().ToLowerInvariant()}, not a unit; the '{UnitTag}' tag names a reporting unit";
                found = entity;
            }
            longestKey = Math.Max(longestKey, key.Length);
            longestValue = Math.Max(longestValue, tagValue.Length);
            // Every tag is valid UTF-8: the whole body was checked, and a tag is cut from it at ASCII bytes and unescaped
            // by dropping ASCII backslashes.
        }
        if (found is null)
            return $"the line has no '{UnitTag}' tag; every line names its unit, as in pm25,unit=van-lam-air-1 value=12";
        var (unitAt, unitLength) = UnitIdIn(line, found.Id);
        var metrics = _unitMetrics.GetOrAdd(found.Id, static (_, arg) => MetricBits.Of(arg.Unit, arg.Catalog), (Unit: found, Catalog: _catalog));
        known = new KnownTags(found.Id, scratch.ExtraTags(tags), metrics, count, longestKey, longestValue, unitAt, unitLength);
        _tagSets.Add(line.Tags, known);
        return null;
    }

    // Where in the tag set the unit tag's value is the id's own bytes (a slug has nothing to escape, but a client may still
    // write a backslash that unescapes to nothing); a length of 0 when it is not, and the splice looks the id up instead.
    private static (int At, int Length) UnitIdIn(Line line, string unitId)
    {
        foreach (var tag in line.EnumerateTags())
            if (tag.Key.SequenceEqual("unit"u8) && Ascii.Equals(tag.Value, unitId) && line.Tags.Overlaps(tag.Value, out var at))
                return (at, tag.Value.Length);
        return (0, 0);
    }

    private static int LineOfFirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        var at = 0;
        while (at < body.Length && Rune.DecodeFromUtf8(body[at..], out _, out var consumed) == OperationStatus.Done)
            at += consumed;
        return body[..at].Count((byte)'\n') + 1;
    }

    private MetricDefinition? ResolveMetric(ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> rawMeasurement, Scratch scratch, out int ordinal)
    {
        var key = Unescaped(rawKey, Escaping.Element.Key, scratch.KeyBuffer);
        if (TryMetric(key, out var metric, out ordinal)) return metric;
        if (key.SequenceEqual("value"u8)
            && TryMetric(Unescaped(rawMeasurement, Escaping.Element.Measurement, scratch.KeyBuffer), out metric, out ordinal))
            return metric;
        return null;
    }

    private static ReadOnlySpan<byte> Unescaped(ReadOnlySpan<byte> raw, Escaping.Element element, byte[] buffer)
    {
        if (!Escaping.HasEscapes(raw) || raw.Length > buffer.Length) return raw;
        return buffer.AsSpan(0, Escaping.Unescape(raw, element, buffer));
    }

    private bool TryUnit(ReadOnlySpan<byte> utf8, out CatalogEntity entity)
    {
        entity = null!;
        Span<char> chars = stackalloc char[IngestOptions.MaxIdLength];
        return TryAscii(utf8, chars, out var n) && _catalog.TryGetEntity(chars[..n], out entity);
    }

    private bool TryMetric(ReadOnlySpan<byte> utf8, out MetricDefinition metric, out int ordinal)
    {
        (metric, ordinal) = (null!, -1);
        Span<char> chars = stackalloc char[IngestOptions.MaxIdLength];
        return TryAscii(utf8, chars, out var n) && _catalog.TryGetMetricSpelt(chars[..n], out metric, out ordinal);
    }

    // Catalog ids are short ASCII slugs: anything else cannot match and is not worth decoding.
    private static bool TryAscii(ReadOnlySpan<byte> utf8, Span<char> chars, out int length)
    {
        length = 0;
        return utf8.Length <= chars.Length && Ascii.ToUtf16(utf8, chars, out length) == OperationStatus.Done;
    }

    private static string PrecisionName(Precision p) => p switch
    {
        Precision.Nanoseconds => "ns",
        Precision.Microseconds => "us",
        Precision.Milliseconds => "ms",
        _ => "s",
    };

    /// <summary>A tag unescaped into <see cref="Scratch.Buffer"/>: where its key and value are.</summary>
    private readonly record struct TagSlot(int Key, int KeyLength, int Value, int ValueLength);

    /// <summary>Buffers reused from line to line of one request.</summary>
    private sealed class Scratch : IComparer<TagSlot>, IDisposable
    {
        public byte[] Buffer = ArrayPool<byte>.Shared.Rent(512);
        public byte[] Output = ArrayPool<byte>.Shared.Rent(512);
        public readonly byte[] KeyBuffer = new byte[IngestOptions.MaxIdLength];
        public TagSlot[] Slots = new TagSlot[16];
        // The tag sets of recent lines: agents interleave a few hosts or units, so most lines repeat one of them.
        private readonly (byte[] Bytes, string Text)[] _recent = new (byte[], string)[8];
        private int _nextRecent;

        public ReadOnlySpan<byte> KeyOf(TagSlot slot) => Buffer.AsSpan(slot.Key, slot.KeyLength);

        public ReadOnlySpan<byte> ValueOf(TagSlot slot) => Buffer.AsSpan(slot.Value, slot.ValueLength);

        public int Compare(TagSlot x, TagSlot y) => KeyOf(x).SequenceCompareTo(KeyOf(y));

        /// <summary>Unescapes the line's tags into <see cref="Buffer"/> and sorts them by key.</summary>
        public int CollectTags(Line line)
        {
            if (line.Tags.IsEmpty) return 0;
            if (Buffer.Length < line.Tags.Length) Grow(ref Buffer, line.Tags.Length);
            var n = 0;
            var at = 0;
            foreach (var tag in line.EnumerateTags())
            {
                if (n == Slots.Length) Array.Resize(ref Slots, n * 2);
                var key = Escaping.Unescape(tag.Key, Escaping.Element.Key, Buffer.AsSpan(at));
                var value = Escaping.Unescape(tag.Value, Escaping.Element.Key, Buffer.AsSpan(at + key));
                Slots[n++] = new TagSlot(at, key, at + key, value);
                at += key + value;
            }
            // Lines carry a few tags: an insertion sort, which unlike Span.Sort makes no delegate per call.
            if (n > 16)
                Slots.AsSpan(0, n).Sort(this);
            else
                for (var i = 1; i < n; i++)
                    for (var j = i; j > 0 && Compare(Slots[j - 1], Slots[j]) > 0; j--)
                        (Slots[j - 1], Slots[j]) = (Slots[j], Slots[j - 1]);
            return n;
        }

        /// <summary>The tags other than the unit as <c>k=v,k=v</c>, escaped; a recent line's string when they are the same.</summary>
        public string? ExtraTags(ReadOnlySpan<TagSlot> tags)
        {
            var needed = 0;
            foreach (var t in tags)
                needed += 2 * (t.KeyLength + t.ValueLength) + 2;
            if (Output.Length < needed) Grow(ref Output, needed);
            var n = 0;
            foreach (var t in tags)
            {
                // The tags the hub derives from the catalog are its own: a unit's are dropped here, once, so
                // that every store keeps the same series (docs/schema.md).
                if (IsDerived(KeyOf(t))) continue;
                if (n > 0) Output[n++] = (byte)',';
                n += Escaping.Escape(KeyOf(t), Escaping.Element.Key, Output.AsSpan(n));
                Output[n++] = (byte)'=';
                n += Escaping.Escape(ValueOf(t), Escaping.Element.Key, Output.AsSpan(n));
            }
            if (n == 0) return null;
            var current = Output.AsSpan(0, n);
            foreach (var (bytes, text) in _recent)
                if (bytes is not null && current.SequenceEqual(bytes))
                    return text;
            var made = Encoding.UTF8.GetString(current);
            _recent[_nextRecent] = (current.ToArray(), made);
            _nextRecent = (_nextRecent + 1) % _recent.Length;
            return made;
        }

        private static bool IsDerived(ReadOnlySpan<byte> key)
        {
            foreach (var derived in DerivedTags)
                if (key.SequenceEqual(derived)) return true;
            return false;
        }

        private static void Grow(ref byte[] buffer, int size)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(size);
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            ArrayPool<byte>.Shared.Return(Output);
        }
    }
}
