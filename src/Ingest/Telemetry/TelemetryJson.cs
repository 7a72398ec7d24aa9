using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Ioc.Contracts;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Reads <c>{"points":[{"unit":"…","metric":"…","value":1.0,"ts":"…"}]}</c> straight off the bytes with
/// <see cref="Utf8JsonReader"/>, resolving unit and metric ids against the catalog as it goes, so a
/// point costs no allocation beyond its slot in the result.
/// </summary>
public static class TelemetryJson
{
    /// <summary>Parses a whole request body. On any error nothing is returned but the first error.</summary>
    public static TelemetryError? TryParse(ReadOnlySequence<byte> body, Catalog catalog, DateTimeOffset now, int maxPoints, List<TelemetryPoint> points) =>
        body.IsSingleSegment ? TryParse(body.FirstSpan, catalog, now, maxPoints, points) : TryParse(body.ToArray(), catalog, now, maxPoints, points);

    /// <summary>Parses a whole request body. On any error nothing is returned but the first error.</summary>
    public static TelemetryError? TryParse(ReadOnlySpan<byte> body, Catalog catalog, DateTimeOffset now, int maxPoints, List<TelemetryPoint> points)
    {
        // JSON is UTF-8 (RFC 8259). The reader checks only the strings it decodes, so a bad byte in a skipped
        // string would pass and one in a decoded id would throw: check the whole body once, up front.
        if (!Utf8.IsValid(body))
            return new TelemetryError(-1, null, $"The body is not valid UTF-8: the first bad byte is at offset {FirstInvalidUtf8(body)}.");
        return TryParse(new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow }), catalog, now, maxPoints, points);
    }

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

    private static TelemetryError? TryParse(Utf8JsonReader reader, Catalog catalog, DateTimeOffset now, int maxPoints, List<TelemetryPoint> points)
    {
        try
        {
            return Parse(ref reader, catalog, now, maxPoints, points);
        }
        catch (JsonException ex)
        {
            points.Clear();
            return new TelemetryError(-1, null, $"Malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // The reader's "cannot transcode" and "cannot get the value of a token type": the input's fault, never the hub's.
            points.Clear();
            return new TelemetryError(-1, null, $"Malformed JSON: {ex.Message}");
        }
    }

    private static TelemetryError? Parse(ref Utf8JsonReader reader, Catalog catalog, DateTimeOffset now, int maxPoints, List<TelemetryPoint> points)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return new TelemetryError(-1, null, "The body must be a JSON object with a \"points\" array.");
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
                return new TelemetryError(-1, "points", "\"points\" must be an array.");
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (index >= maxPoints)
                    return new TelemetryError(index, null, $"more than {maxPoints} points in one request.", TooLarge: true);
                var error = ParsePoint(ref reader, catalog, now, index, points);
                if (error is not null)
                    return error;
                index++;
            }
        }
        if (!sawPoints)
            return new TelemetryError(-1, "points", "The body has no \"points\" array.");
        // Anything after the object makes the body something other than the object: the reader throws on it.
        if (reader.Read())
            return new TelemetryError(-1, null, "The body holds more after its JSON object.");
        if (points.Count == 0)
            return new TelemetryError(-1, "points", "The \"points\" array is empty; send at least one point.");
        return null;
    }

    /// <summary>Catalog ids are short; a longer string cannot be one.</summary>
    private const int MaxIdLength = 128;

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

    private static TelemetryError? ParsePoint(ref Utf8JsonReader reader, Catalog catalog, DateTimeOffset now, int index, List<TelemetryPoint> points)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            return new TelemetryError(index, null, "each point must be a JSON object.");
        CatalogEntity? unit = null;
        string? metric = null;
        double? value = null;
        Span<char> idBuffer = stackalloc char[MaxIdLength];
        DateTimeOffset? ts = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("unit"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    return new TelemetryError(index, "unit", "must be a string.");
                if (CopyId(ref reader, idBuffer) is not (>= 0 and var n) || !catalog.TryGetEntity(idBuffer[..n], out var entity) || entity.Kind != EntityKind.Unit)
                    return new TelemetryError(index, "unit", $"unknown unit '{reader.GetString()}'.");
                unit = entity;
            }
            else if (reader.ValueTextEquals("metric"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    return new TelemetryError(index, "metric", "must be a string.");
                if (CopyId(ref reader, idBuffer) is not (>= 0 and var n) || !catalog.TryGetMetric(idBuffer[..n], out var definition))
                    return new TelemetryError(index, "metric", $"unknown metric '{reader.GetString()}'.");
                metric = definition.Id;
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number)
                    return new TelemetryError(index, "value", "must be a number.");
                if (!reader.TryGetDouble(out var v) || !double.IsFinite(v))
                    return new TelemetryError(index, "value", "not a finite number.");
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
                    return new TelemetryError(index, "ts", "must be an ISO 8601 timestamp such as 2026-11-27T08:00:00Z.");
                ts = t;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (unit is null) return new TelemetryError(index, "unit", "missing.");
        if (metric is null) return new TelemetryError(index, "metric", "missing.");
        if (value is null) return new TelemetryError(index, "value", "missing.");
        if (!unit.Metrics.Contains(metric))
            return new TelemetryError(index, "metric", $"unit '{unit.Id}' does not report metric '{metric}'.");
        points.Add(new TelemetryPoint(unit.Id, metric, value.Value, ts ?? now));
        return null;
    }
}
