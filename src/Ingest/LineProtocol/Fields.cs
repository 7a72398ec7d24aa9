using System.Globalization;
using Ioc.TimeSeries;

namespace Ioc.Ingest.LineProtocol;

/// <summary>A tag as written: key and value, both still escaped.</summary>
public readonly ref struct Tag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
{
    /// <summary>The key, escaped.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    /// <summary>The value, escaped.</summary>
    public ReadOnlySpan<byte> Value { get; } = value;
}

/// <summary>Walks a tag set the reader has already checked.</summary>
public ref struct TagEnumerator(ReadOnlySpan<byte> tags)
{
    private readonly ReadOnlySpan<byte> _tags = tags;
    private int _pos;

    /// <summary>The current tag.</summary>
    public Tag Current { get; private set; }

    /// <summary>This enumerator, for <c>foreach</c>.</summary>
    public readonly TagEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next tag.</summary>
    public bool MoveNext()
    {
        if (_pos >= _tags.Length) return false;
        var eq = Escaping.Scan(_tags, _pos, Escaping.Element.Key);
        var end = Escaping.Scan(_tags, eq + 1, Escaping.Element.Key);
        Current = new Tag(_tags[_pos..eq], _tags[(eq + 1)..end]);
        _pos = end + 1;
        return true;
    }
}

/// <summary>The type of a field value, as line protocol writes it.</summary>
public enum FieldKind
{
    /// <summary>Not a valid value; <see cref="FieldValue.Raw"/> holds what was written.</summary>
    Invalid,
    /// <summary>A float: <c>1.5</c>, <c>-2e3</c>, <c>7</c>.</summary>
    Float,
    /// <summary>A signed integer: <c>42i</c>.</summary>
    Integer,
    /// <summary>An unsigned integer: <c>42u</c>.</summary>
    Unsigned,
    /// <summary>A boolean: <c>t</c>, <c>T</c>, <c>true</c>, <c>True</c>, <c>TRUE</c> and the same for false.</summary>
    Boolean,
    /// <summary>A double-quoted string; <see cref="FieldValue.Raw"/> holds its escaped content.</summary>
    String,
}

/// <summary>A field value, parsed.</summary>
public readonly ref struct FieldValue
{
    private FieldValue(FieldKind kind, ReadOnlySpan<byte> raw, double number = 0, long integer = 0, ulong unsigned = 0, bool boolean = false)
    {
        Kind = kind;
        Raw = raw;
        Float = number;
        Integer = integer;
        Unsigned = unsigned;
        Boolean = boolean;
    }

    /// <summary>The value's type.</summary>
    public FieldKind Kind { get; }

    /// <summary>The value as written; for a string, its content without the quotes, still escaped.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The value of a <see cref="FieldKind.Float"/> (may be infinite when it overflows).</summary>
    public double Float { get; }

    /// <summary>The value of an <see cref="FieldKind.Integer"/>.</summary>
    public long Integer { get; }

    /// <summary>The value of an <see cref="FieldKind.Unsigned"/>.</summary>
    public ulong Unsigned { get; }

    /// <summary>The value of a <see cref="FieldKind.Boolean"/>.</summary>
    public bool Boolean { get; }

    /// <summary>Parses an unquoted value token.</summary>
    public static FieldValue Parse(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty) return new(FieldKind.Invalid, token);
        switch (token[^1])
        {
            case (byte)'i':
                return IsDigits(token[..^1], allowSign: true) && TryParseInteger(token[..^1], out var i)
                    ? new(FieldKind.Integer, token, integer: i) : new(FieldKind.Invalid, token);
            case (byte)'u':
                return IsDigits(token[..^1], allowSign: false)
                    && ulong.TryParse(token[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var u)
                    ? new(FieldKind.Unsigned, token, unsigned: u) : new(FieldKind.Invalid, token);
        }
        if (token.Length <= 5)
        {
            if (token is [(byte)'t' or (byte)'T'] || token.SequenceEqual("true"u8) || token.SequenceEqual("True"u8) || token.SequenceEqual("TRUE"u8))
                return new(FieldKind.Boolean, token, boolean: true);
            if (token is [(byte)'f' or (byte)'F'] || token.SequenceEqual("false"u8) || token.SequenceEqual("False"u8) || token.SequenceEqual("FALSE"u8))
                return new(FieldKind.Boolean, token, boolean: false);
        }
        return IsFloat(token, out var d) ? new(FieldKind.Float, token, number: d) : new(FieldKind.Invalid, token);
    }

    /// <summary>
    /// Parses <c>-?digits</c>, which the caller has checked; false when it does not fit a <see cref="long"/>. Up to 18
    /// digits (every timestamp of this millennium, in any precision) are summed here, not by <see cref="long.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider, out long)"/>.
    /// </summary>
    public static bool TryParseInteger(ReadOnlySpan<byte> s, out long value)
    {
        var digits = s is [(byte)'-', ..] ? s[1..] : s;
        if (digits.Length is 0 or > 18)
            return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        long n = 0;
        foreach (var b in digits)
            n = n * 10 + (b - '0');
        value = digits.Length == s.Length ? n : -n;
        return true;
    }

    /// <summary>A string value with its escaped content.</summary>
    public static FieldValue String(ReadOnlySpan<byte> content) => new(FieldKind.String, content);

    private static bool IsDigits(ReadOnlySpan<byte> s, bool allowSign)
    {
        if (allowSign && s.Length > 0 && s[0] == '-') s = s[1..];
        return s.Length > 0 && !s.ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    // Powers of ten that a double holds exactly.
    private static readonly double[] ExactPowersOfTen = [.. Enumerable.Range(0, 23).Select(e => Math.Pow(10, e))];

    // -?(digits[.digits?]|.digits)([eE][+-]?digits)? — stricter than double.TryParse, which would also take "NaN" or "∞".
    // A plain decimal of at most 15 digits (a sensor's reading, nearly always) is its digits as an integer divided by a
    // power of ten: both are exact in a double, and a division is correctly rounded, so the result is the double nearest
    // the decimal, which is what double.TryParse gives (Clinger's fast path). Anything else goes to double.TryParse.
    private static bool IsFloat(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        var i = 0;
        if (s[i] == '-') i++;
        var mantissa = 0;
        ulong digits = 0;
        while (i < s.Length && char.IsAsciiDigit((char)s[i])) { digits = digits * 10 + (ulong)(s[i] - '0'); i++; mantissa++; }
        var fraction = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit((char)s[i])) { digits = digits * 10 + (ulong)(s[i] - '0'); i++; mantissa++; fraction++; }
        }
        if (mantissa == 0) return false;
        if (i == s.Length && mantissa <= 15)
        {
            value = digits / ExactPowersOfTen[fraction];
            if (s[0] == '-') value = -value;
            return true;
        }
        if (i < s.Length && s[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-') i++;
            var exponent = 0;
            while (i < s.Length && char.IsAsciiDigit((char)s[i])) { i++; exponent++; }
            if (exponent == 0) return false;
        }
        return i == s.Length
            && double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>A field as written: its escaped key and its parsed value.</summary>
public readonly ref struct Field(ReadOnlySpan<byte> key, FieldValue value)
{
    /// <summary>The key, escaped.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    /// <summary>The value.</summary>
    public FieldValue Value { get; } = value;
}

/// <summary>Walks a field set the reader has already checked, parsing each value.</summary>
public ref struct FieldEnumerator(ReadOnlySpan<byte> fields)
{
    private readonly ReadOnlySpan<byte> _fields = fields;
    private int _pos;

    /// <summary>The current field.</summary>
    public Field Current { get; private set; }

    /// <summary>This enumerator, for <c>foreach</c>.</summary>
    public readonly FieldEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next field.</summary>
    public bool MoveNext()
    {
        if (_pos >= _fields.Length) return false;
        var eq = Escaping.Scan(_fields, _pos, Escaping.Element.Key);
        var key = _fields[_pos..eq];
        var start = eq + 1;
        int end;
        FieldValue value;
        if (_fields[start] == '"')
        {
            var newlines = 0;
            var close = Escaping.ScanString(_fields, start + 1, ref newlines);
            value = FieldValue.String(_fields[(start + 1)..close]);
            end = close + 1;
        }
        else
        {
            end = _fields[start..].IndexOf((byte)',');
            end = end < 0 ? _fields.Length : start + end;
            value = FieldValue.Parse(_fields[start..end]);
        }
        Current = new Field(key, value);
        _pos = end + 1;
        return true;
    }
}
