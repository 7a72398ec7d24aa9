using CsCheck;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;

namespace Ioc.Tests.LineProtocol;

/// <summary>The reader against the specification, on generated input.</summary>
public sealed class LineReaderPropertyTests
{
    // Pieces names are built from: the characters the specification escapes, a literal backslash, quotes,
    // tabs and carriage returns, Vietnamese, and characters outside the basic plane.
    private static readonly string[] NamePieces =
        ["a", "Z", "0", "9", "-", "_", ".", ",", "=", " ", "\\", "\"", "#", "\t", "\r", "'", "ư", "Hưng Yên", "Mỹ Hào", "Đ", "ễ", "🙂", "i", "u", "t"];

    private static readonly Gen<string> Name = Gen.OneOf(NamePieces).Array[1, 6].Select(string.Concat);

    private static readonly Gen<string> MeasurementName = Name.Where(n => n[0] is not ('#' or '\t' or ' ' or '\r'));

    private static readonly Gen<string> Text = Gen.OneOf([.. NamePieces, "\n", "\\\"", "\\\\", ""]).Array[0, 8].Select(string.Concat);

    private static readonly string[] TrueSpellings = ["t", "T", "true", "True", "TRUE"];
    private static readonly string[] FalseSpellings = ["f", "F", "false", "False", "FALSE"];

    private static readonly Gen<ModelValue> Value = Gen.OneOf(
        Gen.Double.Where(double.IsFinite).Select(d => new ModelValue(FieldKind.Float, Float: d)),
        Gen.Int[-1000, 1000].Select(d => new ModelValue(FieldKind.Float, Float: d / 8.0)),
        Gen.Long.Select(l => new ModelValue(FieldKind.Integer, Integer: l)),
        Gen.ULong.Select(u => new ModelValue(FieldKind.Unsigned, Unsigned: u)),
        Gen.OneOf(TrueSpellings).Select(s => new ModelValue(FieldKind.Boolean, Boolean: true, Spelling: s)),
        Gen.OneOf(FalseSpellings).Select(s => new ModelValue(FieldKind.Boolean, Boolean: false, Spelling: s)),
        Text.Select(s => new ModelValue(FieldKind.String, Text: s)));

    private static readonly Gen<ModelLine> Point = Gen.Select(
        MeasurementName,
        Gen.Select(Name, Name).Array[0, 4],
        Gen.Select(Name, Value).Array[1, 4],
        Gen.OneOf(Gen.Const((long?)null), Gen.Long.Select(l => (long?)l)),
        (m, tags, fields, ts) => new ModelLine(m, tags, fields, ts));

    private static readonly Gen<string> Filler = Gen.OneOf(Gen.Const(""), Gen.Const("# a comment, with = and \"quotes\""), Gen.Const("   "), Gen.Const("\t# indented comment"));

    private static readonly Gen<(ModelLine Line, string Before, string Ending)[]> Body =
        Gen.Select(Point, Filler, Gen.OneOf(Gen.Const("\n"), Gen.Const("\r\n")), (p, f, e) => (p, f, e)).Array[1, 6];

    [Fact]
    public void Every_point_serialized_with_the_specifications_escaping_reads_back_equal_on_the_line_it_started()
    {
        Body.Sample(body =>
        {
            var text = new StringBuilder();
            var expectedLines = new List<int>();
            var lineNumber = 1;
            foreach (var (point, before, ending) in body)
            {
                if (before.Length > 0)
                {
                    text.Append(before).Append(ending);
                    lineNumber++;
                }
                expectedLines.Add(lineNumber);
                text.Append(point.Serialize()).Append(ending);
                lineNumber += point.Height;
            }
            var reader = new LineReader(Encoding.UTF8.GetBytes(text.ToString()));
            foreach (var (i, (point, _, _)) in body.Index())
            {
                var status = reader.Read(out var line, out var error);
                Assert.True(status == ReadStatus.Line, $"point {i} of {text}: {status} {error}");
                Assert.Equal(expectedLines[i], line.Number);
                if (point.Mismatch(line) is { } mismatch)
                    Assert.Fail($"point {i} of <{text}>: {mismatch}");
            }
            Assert.Equal(ReadStatus.End, reader.Read(out _, out _));
        }, iter: 3000);
    }

    [Fact]
    public void Arbitrary_bytes_never_make_the_parser_throw()
    {
        var catalog = Parsing.Catalog;
        var lines = new TelemetryLines(catalog);
        Gen.Byte.Array[0, 300].Sample(bytes => ParseEverything(lines, bytes), iter: 5000);
    }

    [Fact]
    public void Valid_bodies_with_bytes_inserted_deleted_or_changed_never_make_the_parser_throw()
    {
        var lines = new TelemetryLines(Parsing.Catalog);
        var sensor = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 3]).Select((v, kind) =>
            $"air,unit=van-lam-air-1,site=cổng\\ 2 pm25={v}{(kind == 1 ? "i" : kind == 2 ? "u" : "")},aqi={v / 3}.5 1764230400000000000");
        var mutation = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 10_000], Gen.Byte);
        Gen.Select(sensor.Array[1, 4], mutation.Array[1, 6]).Sample((body, mutations) =>
        {
            var bytes = Encoding.UTF8.GetBytes(string.Join('\n', body)).ToList();
            foreach (var (op, at, b) in mutations)
            {
                var i = at % (bytes.Count + 1);
                switch (op)
                {
                    case 0: bytes.Insert(i, b); break;
                    case 1 when i < bytes.Count: bytes.RemoveAt(i); break;
                    default: if (i < bytes.Count) bytes[i] = b; break;
                }
            }
            ParseEverything(lines, [.. bytes]);
        }, iter: 5000);
    }

    // Reads every line, tag and field, then maps the body; any exception fails the property.
    private static void ParseEverything(TelemetryLines lines, byte[] bytes)
    {
        var reader = new LineReader(bytes);
        while (reader.Read(out var line, out _) == ReadStatus.Line)
        {
            foreach (var tag in line.EnumerateTags()) _ = Escaping.UnescapeToString(tag.Value, Escaping.Element.Key);
            foreach (var field in line.EnumerateFields()) _ = field.Value.Kind;
        }
        var points = new List<TelemetryPoint>();
        var error = lines.Parse(bytes, Parsing.Rules(), points);
        Assert.True(error is not null || points.Count > 0);
    }

    // Decimals as sensors write them and past the parser's own fast path: up to 20 digits, a point anywhere or none,
    // leading and trailing zeros, a sign, and sometimes an exponent.
    private static readonly Gen<string> Decimal = Gen.Select(
        Gen.Bool, Gen.Char["0123456789"].Array[1, 20].Select(c => new string(c)), Gen.Int[-1, 20], Gen.OneOf(Gen.Const(""), Gen.Int[-30, 30].Select(e => $"e{e}")),
        (negative, digits, point, exponent) =>
            (negative ? "-" : "") + (point < 0 || point > digits.Length ? digits : digits[..point] + "." + digits[point..]) + exponent);

    [Fact]
    public void A_decimal_field_reads_as_the_double_nearest_it_as_the_runtime_parses_it()
    {
        Decimal.Sample(text =>
        {
            var value = FieldValue.Parse(Encoding.UTF8.GetBytes(text));
            Assert.Equal(FieldKind.Float, value.Kind);
            var expected = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(value.Float));
        });
    }

    [Fact]
    public void An_integer_reads_as_the_runtime_parses_it_and_one_past_a_long_is_refused()
    {
        Gen.Long.Sample(n =>
        {
            Assert.True(FieldValue.TryParseInteger(Encoding.UTF8.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture)), out var read));
            Assert.Equal(n, read);
            Assert.Equal(FieldKind.Integer, FieldValue.Parse(Encoding.UTF8.GetBytes($"{n}i")).Kind);
            Assert.Equal(n, FieldValue.Parse(Encoding.UTF8.GetBytes($"{n}i")).Integer);
        });
        Assert.False(FieldValue.TryParseInteger("9223372036854775808"u8, out _));
        Assert.False(FieldValue.TryParseInteger("-9223372036854775809"u8, out _));
        Assert.True(FieldValue.TryParseInteger("-000000000000000000000042"u8, out var padded));
        Assert.Equal(-42, padded);
    }
}
