using System.Globalization;

namespace Ioc.Tests.Hardening;

/// <summary>
/// A point as the store should hold it: its series (unit, metric, the unit's own tags as the store writes them)
/// and its time in unix nanoseconds, or null for "the hub's time of arrival".
/// </summary>
public readonly record struct ExpectedPoint(string Unit, string Metric, string Tags, long? Ts, double Value);

/// <summary>
/// Independent readers of an accepted body: what the documented rules (docs/ingest.md) say the body holds,
/// read without the hub's own parsers, so that the fuzz property compares the store against the body rather
/// than against the hub's opinion of it. They read only bodies the hub accepted: a body they cannot read is
/// itself a finding (the hub accepted what the rules do not allow).
/// </summary>
public static class FuzzOracle
{
    private static readonly string[] DerivedTags = ["department", "locality", "projects", "unit"];

    /// <summary>The points of a JSON body, in order; null when it is not a body of points.</summary>
    /// <remarks>
    /// Within a point a repeated property counts as its last occurrence, as <see cref="JsonElement"/> reads it;
    /// every <c>points</c> array of the object counts, in order.
    /// </remarks>
    public static List<ExpectedPoint>? Json(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            var found = new List<ExpectedPoint>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name != "points") continue;
                if (property.Value.ValueKind != JsonValueKind.Array) return null;
                foreach (var point in property.Value.EnumerateArray())
                {
                    if (point.ValueKind != JsonValueKind.Object
                        || !point.TryGetProperty("unit", out var unit) || unit.ValueKind != JsonValueKind.String
                        || !point.TryGetProperty("metric", out var metric) || metric.ValueKind != JsonValueKind.String
                        || !point.TryGetProperty("value", out var value) || !value.TryGetDouble(out var v))
                        return null;
                    long? ts = null;
                    if (point.TryGetProperty("ts", out var t) && t.ValueKind != JsonValueKind.Null)
                    {
                        if (!t.TryGetDateTimeOffset(out var instant)) return null;
                        ts = Nanoseconds(instant);
                    }
                    found.Add(new ExpectedPoint(unit.GetString()!, metric.GetString()!, "", ts, v));
                }
            }
            return found;
        }
    }

    /// <summary>
    /// The points of a line protocol body with millisecond timestamps, in order; null when a line does not
    /// read as line protocol or names what the catalog does not have.
    /// </summary>
    public static List<ExpectedPoint>? Lines(byte[] body, Ioc.Contracts.Catalog catalog)
    {
        var found = new List<ExpectedPoint>();
        var at = 0;
        while (true)
        {
            while (at < body.Length && body[at] is (byte)' ' or (byte)'\t') at++;
            if (at >= body.Length) return found;
            if (body[at] == '\n') { at++; continue; }
            if (body[at] == '\r' && at + 1 < body.Length && body[at + 1] == '\n') { at += 2; continue; }
            if (body[at] == '#')
            {
                while (at < body.Length && body[at] != '\n') at++;
                continue;
            }
            if (!Line(body, ref at, catalog, found)) return null;
        }
    }

    private static bool Line(byte[] body, ref int at, Ioc.Contracts.Catalog catalog, List<ExpectedPoint> found)
    {
        var measurement = Element(body, ref at, ",\n ", ", \\");
        if (measurement.Length == 0) return false;
        var tags = new List<(byte[] Key, byte[] Value)>();
        while (At(body, at, ','))
        {
            at++;
            var key = Element(body, ref at, ",= \n", ",= \\");
            if (!At(body, at, '=')) return false;
            at++;
            tags.Add((key, Element(body, ref at, ",= \n", ",= \\")));
        }
        if (!At(body, at, ' ')) return false;
        while (At(body, at, ' ')) at++;
        var fields = new List<(string Key, double? Value)>();
        do
        {
            if (fields.Count > 0) at++;
            var key = Encoding.UTF8.GetString(Element(body, ref at, ",= \n", ",= \\"));
            if (!At(body, at, '=')) return false;
            at++;
            if (At(body, at, '"')) return false; // a string value: no metric takes one
            var start = at;
            while (at < body.Length && body[at] is not ((byte)',' or (byte)' ' or (byte)'\n' or (byte)'\r')) at++;
            fields.Add((key, Number(Encoding.ASCII.GetString(body, start, at - start))));
        }
        while (At(body, at, ','));
        long? ts = null;
        while (At(body, at, ' ')) at++;
        var digits = at;
        while (at < body.Length && (char.IsAsciiDigit((char)body[at]) || (at == digits && body[at] == '-'))) at++;
        if (at > digits)
            ts = long.Parse(body.AsSpan(digits, at - digits), CultureInfo.InvariantCulture) * 1_000_000;
        while (At(body, at, ' ')) at++;
        if (At(body, at, '\r') && At(body, at + 1, '\n')) at++;
        if (at < body.Length && body[at] != '\n') return false;

        var unitTag = tags.Where(t => Encoding.UTF8.GetString(t.Key) == "unit").ToList();
        if (unitTag.Count != 1) return false;
        var unit = Encoding.UTF8.GetString(unitTag[0].Value);
        var own = tags.Where(t => !DerivedTags.Contains(Encoding.UTF8.GetString(t.Key)))
            .OrderBy(t => t.Key, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
            .Select(t => Escape(t.Key) + "=" + Escape(t.Value));
        var series = string.Join(',', own);
        foreach (var (key, value) in fields)
        {
            var metric = Metric(catalog, key) ?? (key == "value" ? Metric(catalog, Encoding.UTF8.GetString(measurement)) : null);
            if (metric is null || value is not { } v) return false;
            found.Add(new ExpectedPoint(unit, metric, series, ts, v));
        }
        return true;
    }

    /// <summary>Reads an element up to an unescaped stop; a backslash escapes the characters in <paramref name="escapable"/> and is literal before any other.</summary>
    private static byte[] Element(byte[] body, ref int at, string stops, string escapable)
    {
        var text = new List<byte>();
        while (at < body.Length && stops.IndexOf((char)body[at]) < 0)
        {
            if (body[at] == '\\' && at + 1 < body.Length && escapable.IndexOf((char)body[at + 1]) >= 0) at++;
            text.Add(body[at++]);
        }
        return [.. text];
    }

    private static string Escape(byte[] unescaped)
    {
        var text = new StringBuilder();
        foreach (var c in Encoding.UTF8.GetString(unescaped))
        {
            if (c is ',' or '=' or ' ' or '\\') text.Append('\\');
            text.Append(c);
        }
        return text.ToString();
    }

    private static string? Metric(Ioc.Contracts.Catalog catalog, string key) =>
        catalog.Metrics.FirstOrDefault(m => m.Id == key || m.Id.Replace('-', '_') == key)?.Id;

    /// <summary>A field value as docs/ingest.md lists them: a float, an integer (<c>i</c>), an unsigned integer (<c>u</c>) or a boolean.</summary>
    private static double? Number(string token)
    {
        if (token is "t" or "T" or "true" or "True" or "TRUE") return 1;
        if (token is "f" or "F" or "false" or "False" or "FALSE") return 0;
        if (token.EndsWith('i')) return long.TryParse(token[..^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;
        if (token.EndsWith('u')) return ulong.TryParse(token[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : null;
        return double.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
    }

    private static bool At(byte[] body, int at, char c) => at < body.Length && body[at] == c;

    /// <summary>Unix nanoseconds at the store's resolution (100 ns).</summary>
    public static long Nanoseconds(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
