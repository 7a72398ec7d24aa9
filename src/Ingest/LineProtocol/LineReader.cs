using Ioc.TimeSeries;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// One line of InfluxDB line protocol as slices of the request body, still escaped:
/// <c>measurement[,tag=value...] field=value[,field=value...] [timestamp]</c>. The reader has checked
/// the line's structure; field values are checked as they are enumerated.
/// </summary>
public readonly ref struct Line
{
    internal Line(int number, ReadOnlySpan<byte> text, ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> tags,
        ReadOnlySpan<byte> fields, ReadOnlySpan<byte> timestamp, int fieldsAt = 0, int timestampAt = 0, int tagsAt = 0)
    {
        Number = number;
        TagsAt = tagsAt;
        FieldsAt = fieldsAt;
        TimestampAt = timestampAt;
        Text = text;
        Measurement = measurement;
        Tags = tags;
        Fields = fields;
        Timestamp = timestamp;
    }

    /// <summary>1-based number of the body line the point starts on.</summary>
    public int Number { get; }

    /// <summary>The whole line, for error messages.</summary>
    public ReadOnlySpan<byte> Text { get; }

    /// <summary>The measurement, escaped (<c>\,</c>, <c>\ </c>, <c>\\</c>).</summary>
    public ReadOnlySpan<byte> Measurement { get; }

    /// <summary>The tag set without its leading comma, escaped; empty when the line has no tags.</summary>
    public ReadOnlySpan<byte> Tags { get; }

    /// <summary>The field set, escaped; never empty.</summary>
    public ReadOnlySpan<byte> Fields { get; }

    /// <summary>The timestamp's digits (with an optional minus sign); empty when the line has none.</summary>
    public ReadOnlySpan<byte> Timestamp { get; }

    /// <summary>Where <see cref="Tags"/> starts in the body.</summary>
    public int TagsAt { get; }

    /// <summary>Where <see cref="Fields"/> starts in the body, so that the field set can be copied on as received.</summary>
    public int FieldsAt { get; }

    /// <summary>Where <see cref="Timestamp"/> starts in the body.</summary>
    public int TimestampAt { get; }

    /// <summary>The tags, in the order written.</summary>
    public TagEnumerator EnumerateTags() => new(Tags);

    /// <summary>The fields, in the order written.</summary>
    public FieldEnumerator EnumerateFields() => new(Fields);
}

/// <summary>What <see cref="LineReader.Read"/> found.</summary>
public enum ReadStatus
{
    /// <summary>A line, well-formed as far as structure goes.</summary>
    Line,
    /// <summary>The end of the body.</summary>
    End,
    /// <summary>A malformed line; nothing after it is read.</summary>
    Error,
}

/// <summary>A syntax error: where and what.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Message">What is wrong, in words.</param>
public readonly record struct SyntaxError(int Line, string Message);

/// <summary>
/// Reads line protocol straight off UTF-8 bytes, one line at a time, without allocating: blank lines
/// and <c>#</c> comments are skipped, <c>\r\n</c> endings are accepted, and string field values may span
/// lines as they may in InfluxDB. Escaping follows the specification: a backslash escapes the characters
/// special to the element it is in (measurement: comma, space; tag keys, tag values and field keys:
/// comma, equals sign, space; string values: double quote) and a backslash; before any other character
/// it is a literal backslash.
/// </summary>
public ref struct LineReader(ReadOnlySpan<byte> body)
{
    private readonly ReadOnlySpan<byte> _body = body;
    private int _pos;
    private int _line = 1;

    /// <summary>Reads the next line. After <see cref="ReadStatus.Error"/> the reader reads nothing more.</summary>
    public ReadStatus Read(out Line line, out SyntaxError error)
    {
        line = default;
        error = default;
        var body = _body;
        while (true)
        {
            while (_pos < body.Length && body[_pos] is (byte)' ' or (byte)'\t') _pos++;
            if (_pos >= body.Length) return ReadStatus.End;
            var b = body[_pos];
            if (b == '\n' || (b == '\r' && _pos + 1 < body.Length && body[_pos + 1] == '\n'))
            {
                _pos += b == '\n' ? 1 : 2;
                _line++;
                continue;
            }
            if (b == '#')
            {
                var nl = body[_pos..].IndexOf((byte)'\n');
                if (nl < 0) return End();
                _pos += nl + 1;
                _line++;
                continue;
            }
            break;
        }
        var status = ParseLine(out line, out error);
        if (status == ReadStatus.Error) _pos = body.Length;
        return status;
    }

    private ReadStatus End()
    {
        _pos = _body.Length;
        return ReadStatus.End;
    }

    private ReadStatus ParseLine(out Line line, out SyntaxError error)
    {
        line = default;
        var body = _body;
        var number = _line;
        var start = _pos;
        var pos = start;
        var newlinesInStrings = 0;

        pos = Escaping.Scan(body, pos, Escaping.Element.Measurement);
        if (pos == start)
            return Fail(number, start, "the line must start with a measurement", out error);
        var measurement = body[start..pos];

        var tags = ReadOnlySpan<byte>.Empty;
        var tagStart = pos;
        if (At(body, pos, ','))
        {
            tagStart = ++pos;
            while (true)
            {
                var keyStart = pos;
                pos = Escaping.Scan(body, pos, Escaping.Element.Key);
                if (pos == keyStart)
                    return Fail(number, start, "a tag key is empty", out error);
                if (!At(body, pos, '='))
                    return Fail(number, start, $"tag '{Escaping.Display(body[keyStart..pos])}' has no '=value'", out error);
                var valueStart = ++pos;
                pos = Escaping.Scan(body, pos, Escaping.Element.Key);
                if (pos == valueStart)
                    return Fail(number, start, $"tag '{Escaping.Display(body[keyStart..(valueStart - 1)])}' has an empty value", out error);
                if (At(body, pos, '='))
                    return Fail(number, start, $"the value of tag '{Escaping.Display(body[keyStart..(valueStart - 1)])}' has an unescaped '='", out error);
                if (!At(body, pos, ',')) break;
                pos++;
            }
            tags = body[tagStart..pos];
        }

        if (!At(body, pos, ' '))
            return Fail(number, start, pos >= body.Length || body[pos] is (byte)'\n' or (byte)'\r'
                ? "the line has no fields (expected a space and field=value after the measurement and tags)"
                : $"unexpected '{(char)body[pos]}' after the measurement and tags", out error);
        while (At(body, pos, ' ')) pos++;

        var fieldStart = pos;
        while (true)
        {
            var keyStart = pos;
            pos = Escaping.Scan(body, pos, Escaping.Element.Key);
            if (pos == keyStart)
                return Fail(number, start, fieldStart == pos && (pos >= body.Length || body[pos] is (byte)'\n' or (byte)'\r')
                    ? "the line has no fields" : "a field key is empty", out error);
            if (!At(body, pos, '='))
                return Fail(number, start, $"field '{Escaping.Display(body[keyStart..pos])}' has no '=value'", out error);
            var valueStart = ++pos;
            if (At(body, pos, '"'))
            {
                pos = Escaping.ScanString(body, pos + 1, ref newlinesInStrings);
                if (pos < 0)
                    return Fail(number, start, $"the string value of field '{Escaping.Display(body[keyStart..(valueStart - 1)])}' has no closing '\"'", out error);
                pos++;
            }
            else
            {
                while (pos < body.Length && body[pos] is not ((byte)',' or (byte)' ' or (byte)'\n' or (byte)'\r')) pos++;
                if (pos == valueStart)
                    return Fail(number, start, $"field '{Escaping.Display(body[keyStart..(valueStart - 1)])}' has no value", out error);
            }
            if (!At(body, pos, ',')) break;
            pos++;
        }
        var fields = body[fieldStart..pos];

        var timestamp = ReadOnlySpan<byte>.Empty;
        var tsStart = pos;
        if (At(body, pos, ' '))
        {
            while (At(body, pos, ' ')) pos++;
            tsStart = pos;
            while (pos < body.Length && body[pos] is not ((byte)' ' or (byte)'\n' or (byte)'\r')) pos++;
            timestamp = body[tsStart..pos];
            if (timestamp.Length > 0 && !IsInteger(timestamp))
                return Fail(number, start, $"the timestamp '{Escaping.Display(timestamp)}' is not an integer", out error);
            while (At(body, pos, ' ')) pos++;
        }

        var end = pos;
        if (At(body, pos, '\r') && pos + 1 < body.Length && body[pos + 1] == '\n') pos++;
        if (pos < body.Length && body[pos] != '\n')
            return Fail(number, start, $"unexpected '{Escaping.Display(body.Slice(pos, 1))}' after the {(timestamp.IsEmpty ? "fields" : "timestamp")}", out error);
        if (pos < body.Length) pos++;

        _pos = pos;
        _line += 1 + newlinesInStrings;
        error = default;
        line = new Line(number, body[start..end], measurement, tags, fields, timestamp, fieldStart, tsStart, tagStart);
        return ReadStatus.Line;
    }

    private static bool At(ReadOnlySpan<byte> body, int pos, char c) => pos < body.Length && body[pos] == c;

    private static bool IsInteger(ReadOnlySpan<byte> s)
    {
        if (s[0] == '-') s = s[1..];
        return s.Length > 0 && !s.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    private ReadStatus Fail(int number, int start, string message, out SyntaxError error)
    {
        var rest = _body[start..];
        var nl = rest.IndexOf((byte)'\n');
        error = new SyntaxError(number, $"{message} (in \"{Escaping.Display(nl < 0 ? rest : rest[..nl], 120)}\")");
        return ReadStatus.Error;
    }
}
