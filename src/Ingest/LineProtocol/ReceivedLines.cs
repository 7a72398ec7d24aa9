using System.Buffers;
using Ioc.TimeSeries;
using InfluxDB.Client.Api.Domain;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// What <see cref="TelemetryLines.Parse"/> notes, besides the points, so that a valid request can be written to the
/// write-ahead buffer from its own bytes (<see cref="LineProtocolFormatter.TrySpliceUtf8"/>): where each line's field
/// set and timestamp lie in the body, and whether every line is written on as the formatter would write its points.
/// A line the parser normalises beyond what splicing undoes (a boolean, a float not in its shortest form, an escaped
/// field key, a timestamp with leading zeros or finer than the hub keeps) makes <see cref="PassThrough"/> false, and
/// the request's points are formatted instead.
/// </summary>
public sealed class ReceivedLines : IDisposable
{
    // Rented for the request and given back when it is answered: a spread request notes a line for every point, and a new
    // list for each request was a third of what its parse allocated.
    private ReceivedLine[] _lines = [];
    private int _count;

    /// <summary>Whether every line can be written on from the body; false once one cannot.</summary>
    public bool PassThrough { get; private set; } = true;

    /// <summary>The precision of the request's timestamps.</summary>
    public WritePrecision Precision { get; private set; }

    /// <summary>The lines noted so far, in order.</summary>
    public ReadOnlySpan<ReceivedLine> Lines => _lines.AsSpan(0, _count);

    internal void Start(Precision precision, int expectedLines = 0)
    {
        _count = 0;
        if (_lines.Length < expectedLines) Rent(expectedLines);
        PassThrough = true;
        Precision = precision switch
        {
            LineProtocol.Precision.Seconds => WritePrecision.S,
            LineProtocol.Precision.Milliseconds => WritePrecision.Ms,
            LineProtocol.Precision.Microseconds => WritePrecision.Us,
            _ => WritePrecision.Ns,
        };
    }

    internal void Add(in ReceivedLine line)
    {
        if (!PassThrough) return;
        if (_count == _lines.Length) Rent(Math.Max(16, 2 * _count));
        _lines[_count++] = line;
    }

    internal void Refuse()
    {
        PassThrough = false;
        _count = 0;
    }

    /// <summary>Gives the noted lines' room back; nothing may read <see cref="Lines"/> after.</summary>
    public void Dispose()
    {
        _count = 0;
        if (_lines.Length > 0) ArrayPool<ReceivedLine>.Shared.Return(_lines);
        _lines = [];
    }

    private void Rent(int size)
    {
        var bigger = ArrayPool<ReceivedLine>.Shared.Rent(size);
        _lines.AsSpan(0, _count).CopyTo(bigger);
        if (_lines.Length > 0) ArrayPool<ReceivedLine>.Shared.Return(_lines);
        _lines = bigger;
    }

    /// <summary>
    /// Whether a float is written by the formatter (<c>double.ToString("R")</c>: the shortest digits that round-trip,
    /// in fixed notation) exactly as received: canonical decimal digits (no leading zero, no trailing zero after the
    /// point, no exponent), at most 15 significant ones (a double keeps 15, so no shorter form reads back the same), at
    /// most 15 before the point, and at most three zeros after the point before the first digit (0.0001 stays,
    /// 0.00001 becomes 1E-05).
    /// </summary>
    internal static bool IsShortestFloat(ReadOnlySpan<byte> s)
    {
        var i = s is [(byte)'-', ..] ? 1 : 0;
        var integer = i;
        while (i < s.Length && char.IsAsciiDigit((char)s[i])) i++;
        var integerDigits = i - integer;
        if (integerDigits is 0 or > 15 || (integerDigits > 1 && s[integer] == '0')) return false;
        if (i == s.Length) return true;
        if (s[i] != '.') return false;
        var fraction = ++i;
        while (i < s.Length && char.IsAsciiDigit((char)s[i])) i++;
        if (i != s.Length || i == fraction || s[i - 1] == '0') return false;
        if (s[integer] != '0') return integerDigits + (i - fraction) <= 15;
        var zeros = 0;
        while (s[fraction + zeros] == '0') zeros++;
        return zeros <= 3 && i - fraction - zeros <= 15;
    }

    /// <summary>Whether an integer value (<c>81i</c>, <c>81u</c>) is written, without its suffix, as the formatter writes the double it becomes.</summary>
    internal static bool IsShortInteger(ReadOnlySpan<byte> s)
    {
        var digits = s[..^1];
        if (digits is [(byte)'-', ..]) digits = digits[1..];
        return digits.Length is > 0 and <= 15 && (digits[0] != '0' || (digits.Length == 1 && s[0] != '-'));
    }

    /// <summary>
    /// Whether a timestamp's digits are canonical (no leading zero, no <c>-0</c>), so that shifting them by zeros gives
    /// the formatter's digits; nanoseconds must also be whole ticks of 100 ns, which is all the hub keeps.
    /// </summary>
    internal static bool IsCanonicalTimestamp(ReadOnlySpan<byte> s, Precision precision)
    {
        var digits = s is [(byte)'-', ..] ? s[1..] : s;
        if (digits.Length == 0 || digits[0] == '0') return false;
        return precision != LineProtocol.Precision.Nanoseconds || digits.EndsWith("00"u8);
    }
}
