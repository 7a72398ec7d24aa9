using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Ioc.Contracts;
using Ioc.TimeSeries;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Reads <c>{"points":[{"unit":"…","metric":"…","value":1.0,"ts":"…"}]}</c> straight off the bytes with
/// <see cref="Utf8JsonReader"/>, resolving unit and metric ids against the catalog as it goes, so a
/// point costs no allocation beyond its slot in the result. Scope and the time window are checked by
/// <see cref="IngestRules"/> once the whole body has parsed, so a malformed body is always a 400.
/// </summary>
public static class TelemetryJson
{
    /// <summary>Parses a whole request body and holds it to <paramref name="rules"/>. On any error nothing is returned but the first error.</summary>
    public static IngestError? TryParse(ReadOnlySequence<byte> body, Catalog catalog, in IngestRules rules, List<TelemetryPoint> points) =>
        body.IsSingleSegment ? TryParse(body.FirstSpan, catalog, rules, points) : TryParse(body.ToArray(), catalog, rules, points);

    /// <summary>Parses a whole request body and holds it to <paramref name="rules"/>. On any error nothing is returned but the first error.</summary>
    public static IngestError? TryParse(ReadOnlySpan<byte> body, Catalog catalog, in IngestRules rules, List<TelemetryPoint> points)
    {
        // JSON is UTF-8 (RFC 8259). The reader checks only the strings it decodes, so a bad byte in a skipped
        // string would pass and one in a decoded id would throw: check the whole body once, up front.
        if (!Utf8.IsValid(body))
            return Whole($"The body is not valid UTF-8: the first bad byte is at offset {FirstInvalidUtf8(body)}.");
        // Room for every point up front: each is an object, as is the body around them, so the braces are one more than the
        // points (more when a string holds one); a list that grew from nothing to 500 points copied them nine times.
        points.EnsureCapacity(Math.Clamp(body.Count((byte)'{'), 1, Math.Max(1, rules.MaxPoints)));
        return TryParse(new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow }), catalog, rules, points)
            ?? Check(rules, points);
    }

    /// <summary>Scope and time window, for every point, in order: the first point refused is named.</summary>
    private static IngestError? Check(in IngestRules rules, List<TelemetryPoint> points)
    {
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (rules.OutsideScope(p.Unit) is { } forbidden)
                return IngestError.AtPoint(i, "unit", forbidden + ".", IngestErrorKind.Forbidden);
            if (rules.OutsideWindow(p.Timestamp) is { } window)
                return IngestError.AtPoint(i, "ts", window + ".");
        }
        return null;
    }

    private static IngestError Whole(string message, string? field = null) => IngestError.AtPoint(-1, field, message);

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> body)
    {
        var at = 0;
        while (at < body.Length)
        {
            if (Rune.DecodeFromUtf8(body[at..], out _, out var consumed) != OperationStatus.Done)
                return at;
            at += consumed;
        }
        return at;
    }

    private static IngestError? TryParse(Utf8JsonReader reader, Catalog catalog, in IngestRules rules, List<TelemetryPoint> points)
    {
        try
        {
            return Parse(ref reader, catalog, rules, points);
        }
        catch (JsonException ex)
        {
            points.Clear();
            return Whole($"Malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // The reader's "cannot transcode" and "cannot get the value of a token type": the input's fault, never the hub's.
            points.Clear();
            return Whole($"Malformed JSON: {ex.Message}");
        }
    }

    private static IngestError? Parse(ref Utf8JsonReader reader, Catalog catalog, in IngestRules rules, List<TelemetryPoint> points)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return Whole("The body must be a JSON object with a \"points\" array.");
        var sawPoints = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("points"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            sawPoints = true;
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
                return Whole("\"points\" must be an array.", "points");
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (!rules.HasRoomAfter(index))
                    return IngestError.AtPoint(index, null, $"more than {rules.MaxPoints} points in one request.", IngestErrorKind.TooLarge);
                var error = ParsePoint(ref reader, catalog, rules.Now, index, points);
                if (error is not null)
                    return error;
                index++;
            }
        }
        if (!sawPoints)
            return Whole("The body has no \"points\" array.", "points");
        // Anything after the object makes the body something other than the object: the reader throws on it.
        if (reader.Read())
            return Whole("The body holds more after its JSON object.");
        if (points.Count == 0)
            return Whole("The \"points\" array is empty; send at least one point.", "points");
        return null;
    }

    /// <summary>
    /// Copies the current string token, unescaped, into <paramref name="buffer"/> and returns its length, or
    /// -1 when it cannot be a catalog id. The id serves one catalog lookup and never becomes a string of its
    /// own. (Unescaped, a token has at most as many characters as it has bytes.)
    /// </summary>
    private static int CopyId(ref Utf8JsonReader reader, scoped Span<char> buffer)
    {
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        return length > buffer.Length ? -1 : reader.CopyString(buffer);
    }

    private static IngestError? ParsePoint(ref Utf8JsonReader reader, Catalog catalog, DateTimeOffset now, int index, List<TelemetryPoint> points)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            return IngestError.AtPoint(index, null, "each point must be a JSON object.");
        CatalogEntity? unit = null;
        string? metric = null;
        double? value = null;
        Span<char> idBuffer = stackalloc char[IngestOptions.MaxIdLength];
        DateTimeOffset? ts = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("unit"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    return IngestError.AtPoint(index, "unit", "must be a string.");
                if (CopyId(ref reader, idBuffer) is not (>= 0 and var n) || !catalog.TryGetEntity(idBuffer[..n], out var entity) || entity.Kind != EntityKind.Unit)
                    return IngestError.AtPoint(index, "unit", $"unknown unit '{reader.GetString()}'.");
                unit = entity;
            }
            else if (reader.ValueTextEquals("metric"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    return IngestError.AtPoint(index, "metric", "must be a string.");
                if (CopyId(ref reader, idBuffer) is not (>= 0 and var n) || !catalog.TryGetMetric(idBuffer[..n], out var definition))
                    return IngestError.AtPoint(index, "metric", $"unknown metric '{reader.GetString()}'.");
                metric = definition.Id;
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number)
                    return IngestError.AtPoint(index, "value", "must be a number.");
                if (!reader.TryGetDouble(out var v) || !double.IsFinite(v))
                    return IngestError.AtPoint(index, "value", "not a finite number.");
                value = v;
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    // A repeated property counts as its last, as for the other fields: a later null means "no time".
                    ts = null;
                    continue;
                }
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var t))
                    return IngestError.AtPoint(index, "ts", "must be an ISO 8601 timestamp such as 2026-11-27T08:00:00Z.");
                ts = t;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (unit is null) return IngestError.AtPoint(index, "unit", "missing.");
        if (metric is null) return IngestError.AtPoint(index, "metric", "missing.");
        if (value is null) return IngestError.AtPoint(index, "value", "missing.");
        if (!unit.Metrics.Contains(metric))
            return IngestError.AtPoint(index, "metric", $"unit '{unit.Id}' does not report metric '{metric}'.");
        points.Add(new TelemetryPoint(unit.Id, metric, value.Value, ts ?? now));
        return null;
    }
}
