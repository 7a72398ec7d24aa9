using System.Buffers;
using System.Text;

namespace Ioc.TimeSeries;

/// <summary>The escaping rules of line protocol, on UTF-8 bytes.</summary>
public static class Escaping
{
    /// <summary>The elements of a line, each with its own special characters.</summary>
    public enum Element
    {
        /// <summary>The measurement: comma and space are escaped.</summary>
        Measurement,
        /// <summary>Tag keys, tag values and field keys: comma, equals sign and space are escaped.</summary>
        Key,
        /// <summary>The inside of a string field value: double quote is escaped.</summary>
        String,
    }

    private static readonly SearchValues<byte> MeasurementStops = SearchValues.Create(",\\ \n"u8);
    private static readonly SearchValues<byte> KeyStops = SearchValues.Create(",=\\ \n"u8);
    private static readonly SearchValues<byte> StringStops = SearchValues.Create("\"\\\n"u8);

    /// <summary>Whether a backslash before <paramref name="b"/> escapes it in <paramref name="element"/>.</summary>
    public static bool IsEscapable(byte b, Element element) => b == '\\' || element switch
    {
        Element.Measurement => b is (byte)',' or (byte)' ',
        Element.Key => b is (byte)',' or (byte)'=' or (byte)' ',
        _ => b == '"',
    };

    /// <summary>
    /// The index of the first unescaped delimiter of <paramref name="element"/> (or newline) at or after
    /// <paramref name="pos"/>, or the length of <paramref name="body"/>.
    /// </summary>
    public static int Scan(ReadOnlySpan<byte> body, int pos, Element element)
    {
        // Names and tag values are short (a unit id, a metric, a host): a byte at a time through a table beats the
        // vectorised search, whose set-up cost more than the search itself in a profile of the spread shape. Past the
        // first ShortScan bytes the rest is searched vectorised.
        var table = element == Element.Measurement ? MeasurementStopTable : KeyStopTable;
        var shortEnd = Math.Min(body.Length, pos + ShortScan);
        while (pos < shortEnd)
        {
            if (table[body[pos]] == 0)
                pos++;
            else if (body[pos] != '\\')
                return pos;
            else
                pos += pos + 1 < body.Length && IsEscapable(body[pos + 1], element) ? 2 : 1;
        }
        var stops = element == Element.Measurement ? MeasurementStops : KeyStops;
        while (true)
        {
            var i = body[pos..].IndexOfAny(stops);
            if (i < 0) return body.Length;
            pos += i;
            if (body[pos] != '\\') return pos;
            pos += pos + 1 < body.Length && IsEscapable(body[pos + 1], element) ? 2 : 1;
        }
    }

    private const int ShortScan = 32;
    private static readonly byte[] MeasurementStopTable = StopTable(",\\ \n"u8);
    private static readonly byte[] KeyStopTable = StopTable(",=\\ \n"u8);

    private static byte[] StopTable(ReadOnlySpan<byte> stops)
    {
        var table = new byte[256];
        foreach (var b in stops) table[b] = 1;
        return table;
    }

    /// <summary>
    /// The index of the closing quote of a string value whose content starts at <paramref name="pos"/>,
    /// or -1 when there is none; counts the newlines inside.
    /// </summary>
    public static int ScanString(ReadOnlySpan<byte> body, int pos, ref int newlines)
    {
        while (true)
        {
            var i = body[pos..].IndexOfAny(StringStops);
            if (i < 0) return -1;
            pos += i;
            switch (body[pos])
            {
                case (byte)'"':
                    return pos;
                case (byte)'\n':
                    newlines++;
                    pos++;
                    break;
                default:
                    pos += pos + 1 < body.Length && IsEscapable(body[pos + 1], Element.String) ? 2 : 1;
                    break;
            }
        }
    }

    /// <summary>
    /// The index of the first <paramref name="separator"/> at or after <paramref name="start"/> that no backslash
    /// escapes, or the length of <paramref name="text"/>: for text the hub escaped itself, where every backslash escapes.
    /// </summary>
    public static int IndexOfUnescaped(ReadOnlySpan<byte> text, int start, byte separator)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == (byte)'\\') { i++; continue; }
            if (text[i] == separator) return i;
        }
        return text.Length;
    }

    /// <summary>Whether <paramref name="raw"/> contains a backslash, so it needs unescaping.</summary>
    public static bool HasEscapes(ReadOnlySpan<byte> raw) => raw.Contains((byte)'\\');

    /// <summary>Unescapes <paramref name="raw"/> into <paramref name="destination"/> (at least as long); returns the length written.</summary>
    public static int Unescape(ReadOnlySpan<byte> raw, Element element, Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == '\\' && i + 1 < raw.Length && IsEscapable(raw[i + 1], element))
                b = raw[++i];
            destination[n++] = b;
        }
        return n;
    }

    /// <summary>The unescaped text of <paramref name="raw"/>, as a string (allocates; for messages and tests).</summary>
    public static string UnescapeToString(ReadOnlySpan<byte> raw, Element element)
    {
        var buffer = raw.Length <= 256 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        var n = Unescape(raw, element, buffer);
        return Encoding.UTF8.GetString(buffer[..n]);
    }

    /// <summary>Escapes <paramref name="value"/> into <paramref name="destination"/>; returns the length written.</summary>
    public static int Escape(ReadOnlySpan<byte> value, Element element, Span<byte> destination)
    {
        var n = 0;
        foreach (var b in value)
        {
            if (IsEscapable(b, element)) destination[n++] = (byte)'\\';
            destination[n++] = b;
        }
        return n;
    }

    /// <summary>Escapes a string as <paramref name="element"/> (allocates; for writers and tests).</summary>
    public static string Escape(string value, Element element)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c < 128 && IsEscapable((byte)c, element)) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Raw bytes as text for an error message, shortened to <paramref name="max"/> characters.</summary>
    public static string Display(ReadOnlySpan<byte> raw, int max = 64)
    {
        var text = Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, max * 4)]);
        if (text.Length > max) text = string.Concat(text.AsSpan(0, max), "…");
        return text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
    }
}
