using System.Globalization;
using CsCheck;
using InfluxDB.Client.Api.Domain;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;

namespace Ioc.Tests.LineProtocol;

/// <summary>
/// A valid line-protocol request is written to the buffer from its own bytes, the catalog's tags spliced in, and what
/// is written is byte for byte what the formatter writes for the request's points; where it cannot be, the request's
/// points are formatted instead.
/// </summary>
public sealed class LinePassThroughTests
{
    private static readonly LineProtocolFormatter Formatter = new(Parsing.Catalog);

    // A few units, so that lines of one request often share a unit, a timestamp and tags, and the formatter joins them;
    // among them a unit in no project and units whose metric ids have hyphens (sent with underscores too).
    private static readonly Contracts.CatalogEntity[] Units =
    [
        .. new[] { "van-lam-air-1", "tp-hung-yen-traffic-1", "so-noi-vu-office" }.Select(Parsing.Catalog.Entity),
    ];

    private static readonly Precision[] AllPrecisions = [Precision.Nanoseconds, Precision.Microseconds, Precision.Milliseconds, Precision.Seconds];

    private static long Scale(Precision p) => p switch
    {
        Precision.Seconds => 1_000_000_000,
        Precision.Milliseconds => 1_000_000,
        Precision.Microseconds => 1_000,
        _ => 1,
    };

    // Values as a client writes them: in the shortest form, or not (trailing zeros, exponents, leading zeros), integers
    // short and long, unsigned, and booleans, which the parser turns into 1 and 0.
    private static readonly Gen<string> ValueText = Gen.Frequency(
        (4, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (4, Gen.Select(Gen.Int[-1_000_000, 1_000_000], Gen.Int[0, 7], (v, k) => (v / Math.Pow(10, k)).ToString("R", CultureInfo.InvariantCulture))),
        (3, Gen.Int[-1_000_000, 1_000_000].Select(v => v.ToString(CultureInfo.InvariantCulture) + "i")),
        (1, Gen.Long.Select(v => v.ToString(CultureInfo.InvariantCulture) + "i")),
        (1, Gen.ULong.Select(v => v.ToString(CultureInfo.InvariantCulture) + "u")),
        (1, Gen.UInt[0, 99_999].Select(v => v.ToString(CultureInfo.InvariantCulture) + "u")),
        (1, Gen.OneOf(Gen.Const("1.50"), Gen.Const("007"), Gen.Const(".5"), Gen.Const("5."), Gen.Const("1e3"), Gen.Const("-0"), Gen.Const("-0.0"),
            Gen.Const("0.00001"), Gen.Const("0.0001"), Gen.Const("0"), Gen.Const("-0i"), Gen.Const("1E+20"), Gen.Const("123456789012345.6"))),
        (1, Gen.OneOf(Gen.Const("t"), Gen.Const("FALSE"))));

    // Values a client that writes numbers as the hub does sends: decimals in their shortest form and short integers.
    private static readonly Gen<string> CleanValueText = Gen.OneOf(
        Gen.Select(Gen.Int[-1_000_000, 1_000_000], Gen.Int[0, 7], (v, k) => (v / Math.Pow(10, k)).ToString("R", CultureInfo.InvariantCulture)),
        Gen.Int[-1_000_000, 1_000_000].Select(v => v.ToString(CultureInfo.InvariantCulture) + "i"),
        Gen.UInt[0, 99_999].Select(v => v.ToString(CultureInfo.InvariantCulture) + "u"));

    private static readonly (string Key, string Value)[] TagChoices =
        [("site", "cổng số 2"), ("tầng", "1"), ("a b", "x,y"), ("k=v", "a\\b"), ("locality", "elsewhere"), ("zz", "Hưng Yên")];

    /// <summary>A valid request: its body and its precision; half of them written as the hub writes numbers.</summary>
    private static readonly Gen<(string Body, Precision Precision)> Request =
        Gen.Select(Gen.OneOf(AllPrecisions.Select(Gen.Const).ToArray()), Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 7], Gen.Int[1, 8], Gen.Bool,
                (p, crlf, tags, stamps, count, clean) => (p, crlf, tags, stamps, count, clean))
            .SelectMany(r => Line(r.p, r.tags, r.stamps, r.clean).Array[r.count].Select(lines => (string.Join(r.crlf ? "\r\n" : "\n", lines), r.p)));

    private static Gen<string> Line(Precision precision, int tagPool, int stampPool, bool clean) =>
        Gen.Select(Gen.Int[0, Units.Length - 1], Gen.Int[0, tagPool], Gen.Int[0, stampPool], Gen.Int[0, 9], Gen.Int[0, 5], Gen.Int[0, 999],
                (u, tags, stamp, spelling, style, extra) => (u, tags, stamp, spelling, style, extra))
            .SelectMany(l =>
            {
                var unit = Units[l.u];
                return Gen.Shuffle(unit.Metrics.ToArray(), 1, Math.Min(4, unit.Metrics.Length))
                    .SelectMany(metrics => (clean ? CleanValueText : ValueText).Array[metrics.Length].Select(values =>
                        Text(precision, unit, metrics, values, l.tags, l.stamp, l.spelling, l.style, clean ? 1 : l.extra)));
            });

    private static string Text(Precision precision, Contracts.CatalogEntity unit, string[] metrics, string[] values, int tags, int stamp, int spelling, int style, int extra)
    {
        // A field called value takes the measurement's metric.
        var byValue = spelling == 0 && metrics.Length == 1;
        var measurement = byValue ? metrics[0] : style == 0 ? "m e,as" : "air";
        var sb = new StringBuilder(Escaping.Escape(measurement, Escaping.Element.Measurement));
        var lineTags = new List<(string Key, string Value)> { ("unit", unit.Id) };
        lineTags.AddRange(TagChoices.Take(tags));
        if (style % 2 == 1) lineTags.Reverse();
        foreach (var (k, v) in lineTags)
            sb.Append(',').Append(Escaping.Escape(k, Escaping.Element.Key)).Append('=').Append(Escaping.Escape(v, Escaping.Element.Key));
        sb.Append(' ');
        sb.AppendJoin(',', metrics.Select((m, i) => (byValue ? "value" : spelling == 1 ? m.Replace('-', '_') : m) + "=" + values[i]));
        // A pool of a few instants per request, so that lines share one; some lines have none, and the hub stamps them.
        if (stamp > 0)
        {
            var instant = Parsing.Now.AddDays(-stamp).AddMilliseconds(stamp * 250 * (stamp % 3)).AddTicks(stamp == 5 ? 10 : 0);
            var ns = (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
            var value = ns / Scale(precision);
            var digits = value.ToString(CultureInfo.InvariantCulture);
            // Some clients write nanoseconds finer than the hub keeps, or pad with zeros.
            if (precision == Precision.Nanoseconds && extra % 7 == 0) digits = (value + 37).ToString(CultureInfo.InvariantCulture);
            if (extra % 11 == 0) digits = "0" + digits;
            sb.Append(' ').Append(digits);
        }
        return sb.ToString();
    }

    private static (List<TelemetryPoint> Points, ReceivedLines Received) ParseValid(string body, Precision precision)
    {
        var points = new List<TelemetryPoint>();
        var received = new ReceivedLines();
        var error = Parsing.Lines.Parse(Encoding.UTF8.GetBytes(body), precision, Parsing.Rules(precision).Rules, points, received);
        Assert.True(error is null, $"{error} in <{body}>");
        return (points, received);
    }

    /// <summary>The spliced text, or null when the request falls back to the formatter; and the formatter's text.</summary>
    private static (string? Spliced, WritePrecision? SplicedPrecision, string Formatted, WritePrecision Precision) Both(string body, Precision precision)
    {
        var (points, received) = ParseValid(body, precision);
        var bytes = Encoding.UTF8.GetBytes(body);
        string? spliced = null;
        WritePrecision? splicedPrecision = null;
        if (received.PassThrough && Formatter.TrySpliceUtf8(points, bytes, received.Lines, received.Precision, out var s))
        {
            spliced = Encoding.UTF8.GetString(s.Buffer, 0, s.Length);
            splicedPrecision = s.Precision;
            System.Buffers.ArrayPool<byte>.Shared.Return(s.Buffer);
            // As the buffer keeps it: each line's unit id in place of its prefix, which the drainer puts back.
            Assert.True(Formatter.TrySpliceUtf8(points, bytes, received.Lines, received.Precision, out var compact, compact: true));
            Assert.Equal(spliced, Expanded(compact.Buffer, compact.Length));
            Assert.Equal(s.Precision, compact.Precision);
        }
        var (formatted, formattedPrecision) = Formatter.Format(points);
        var (compactFormatted, compactLength, compactPrecision) = Formatter.FormatUtf8(points, compact: true);
        Assert.Equal(formatted, Expanded(compactFormatted, compactLength));
        Assert.Equal(formattedPrecision, compactPrecision);
        return (spliced, splicedPrecision, formatted, formattedPrecision);
    }

    private static string Expanded(byte[] compact, int length)
    {
        var target = new byte[16];
        var written = 0;
        Formatter.Expand(compact.AsSpan(0, length), ref target, ref written);
        System.Buffers.ArrayPool<byte>.Shared.Return(compact);
        return Encoding.UTF8.GetString(target, 0, written);
    }

    [Fact]
    public void A_valid_request_written_from_its_own_bytes_is_byte_for_byte_what_the_formatter_writes_for_its_points()
    {
        var passed = 0;
        var fellBack = 0;
        Request.Sample(request =>
        {
            var (spliced, splicedPrecision, formatted, precision) = Both(request.Body, request.Precision);
            if (spliced is null)
            {
                Interlocked.Increment(ref fellBack);
                return;
            }
            Interlocked.Increment(ref passed);
            Assert.True(formatted == spliced, $"<{request.Body}> at {request.Precision}:\nformatted <{formatted}>\nspliced   <{spliced}>");
            Assert.Equal(precision, splicedPrecision);
        }, iter: 4000);
        // Not vacuous: a good share of the requests went through, and some fell back.
        Assert.True(passed > 4000 / 5, $"{passed} passed through, {fellBack} fell back");
        Assert.True(fellBack > 0, $"{passed} passed through, {fellBack} fell back");
    }

    [Theory]
    [InlineData("air,unit=van-lam-air-1 pm25=27.5,aqi=81 1764230400", Precision.Seconds)]
    [InlineData("air,unit=van-lam-air-1,site=cổng\\ 2 pm25=27.5,aqi=81i 1764230400123", Precision.Milliseconds)]
    [InlineData("traffic,unit=tp-hung-yen-traffic-1 vehicle_count=12i 1764230400000000000", Precision.Nanoseconds)]
    [InlineData("pm25,unit=van-lam-air-1 value=-0.0001", Precision.Seconds)]
    [InlineData("air,unit=van-lam-air-1 pm25=1 1764230400\nair,unit=van-lam-air-1 aqi=2 1764230400\nair,unit=van-lam-air-1 pm25=3 1764230401", Precision.Seconds)]
    public void A_request_whose_values_are_written_as_the_formatter_writes_them_passes_through(string body, Precision precision)
    {
        var (spliced, _, formatted, _) = Both(body, precision);
        Assert.NotNull(spliced);
        Assert.Equal(formatted, spliced);
    }

    [Fact]
    public void Lines_noted_again_for_a_retried_request_are_its_own_and_none_are_left_once_the_request_is_answered()
    {
        // The write gate parses a request again when an earlier attempt with its idempotency key gave up; the room for the
        // notes is rented, grows past what the caller expected, and is given back when the request is answered.
        var rules = Parsing.Rules(Precision.Seconds).Rules;
        var many = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 40).Select(i => $"air,unit=van-lam-air-1 pm25={i} {1764230400 + i}")));
        var one = Encoding.UTF8.GetBytes("air,unit=van-lam-air-1 aqi=7 1764230400");
        var received = new ReceivedLines();

        Assert.Null(Parsing.Lines.Parse(many, Precision.Seconds, rules, new List<TelemetryPoint>(2), received));
        Assert.Equal(40, received.Lines.Length);
        Assert.Equal(Enumerable.Range(0, 40), received.Lines.ToArray().Select(l => l.FirstPoint));

        var points = new List<TelemetryPoint>();
        Assert.Null(Parsing.Lines.Parse(one, Precision.Seconds, rules, points, received));
        var line = Assert.Single(received.Lines.ToArray());
        Assert.Equal("aqi=7", Encoding.UTF8.GetString(one.AsSpan(line.FieldsAt, line.FieldsLength)));

        received.Dispose();
        Assert.True(received.Lines.IsEmpty);
    }

    [Fact]
    public void Each_line_notes_where_its_unit_id_lies_so_that_a_compact_line_starts_with_those_bytes_first_seen_or_remembered()
    {
        // The unit tag after another tag, and the same tag sets again: the second request's sets are remembered.
        var body = Encoding.UTF8.GetBytes("air,site=cổng\\ 2,unit=van-lam-air-1 pm25=1 1764230400\nwater,unit=van-lam-water-1 water-level=2 1764230400");
        var rules = Parsing.Rules(Precision.Seconds).Rules;
        var lines = new TelemetryLines(Parsing.Catalog);
        for (var pass = 0; pass < 2; pass++)
        {
            using var received = new ReceivedLines();
            var points = new List<TelemetryPoint>();
            Assert.Null(lines.Parse(body, Precision.Seconds, rules, points, received));
            Assert.Equal(["van-lam-air-1", "van-lam-water-1"],
                received.Lines.ToArray().Select(l => Encoding.UTF8.GetString(body.AsSpan(l.UnitAt, l.UnitLength))));
            Assert.True(Formatter.TrySpliceUtf8(points, body, received.Lines, received.Precision, out var compact, compact: true));
            var (formatted, length, _) = Formatter.FormatUtf8(points, compact: true);
            Assert.Equal(formatted.AsSpan(0, length).ToArray(), compact.Buffer.AsSpan(0, compact.Length).ToArray());
            System.Buffers.ArrayPool<byte>.Shared.Return(compact.Buffer);
        }
    }

    [Fact]
    public void Integer_suffixes_are_dropped_and_underscore_spellings_written_as_the_catalogs_ids()
    {
        var (spliced, precision, _, _) = Both("traffic,unit=tp-hung-yen-traffic-1 vehicle_count=12i 1764230400000", Precision.Milliseconds);
        Assert.Equal(WritePrecision.S, precision);
        Assert.EndsWith(",unit=tp-hung-yen-traffic-1 vehicle-count=12 1764230400", spliced);
    }

    [Fact]
    public void A_line_without_a_timestamp_gets_the_hubs_stamp_in_the_requests_precision()
    {
        var (spliced, precision, formatted, _) = Both("air,unit=van-lam-air-1 pm25=1\nair,unit=van-lam-air-1 pm25=2 1764230400", Precision.Seconds);
        Assert.Equal(formatted, spliced);
        Assert.Equal(WritePrecision.S, precision);
        Assert.Contains($" pm25=1 {Parsing.Now.ToUnixTimeSeconds()}\n", spliced);
    }

    [Theory]
    [InlineData("air,unit=van-lam-air-1 pm25=1.50", Precision.Seconds)] // not the shortest form
    [InlineData("air,unit=van-lam-air-1 pm25=1e3", Precision.Seconds)]
    [InlineData("air,unit=van-lam-air-1 pm25=0.00001", Precision.Seconds)] // the formatter writes 1E-05
    [InlineData("air,unit=van-lam-air-1 pm25=1234567890123456i", Precision.Seconds)] // more digits than a double keeps
    [InlineData("air,unit=van-lam-air-1 pm25=t", Precision.Seconds)] // a boolean becomes 1
    [InlineData("air,unit=van-lam-air-1 pm25=-0i", Precision.Seconds)]
    [InlineData("air,unit=van-lam-air-1 pm25=1 01764230400", Precision.Seconds)] // a padded timestamp
    [InlineData("air,unit=van-lam-air-1 pm25=1 1764230400000000001", Precision.Nanoseconds)] // finer than the hub's 100 ns
    public void A_request_the_parser_normalises_falls_back_to_the_formatter(string body, Precision precision)
    {
        var (points, received) = ParseValid(body, precision);
        Assert.NotEmpty(points);
        Assert.False(received.PassThrough);
    }

    [Fact]
    public void A_line_the_formatter_would_split_falls_back_to_the_formatter()
    {
        // The formatter joins aqi to the first line and starts a new one at the repeated pm25: the second line's fields
        // would not stay together, so they are not copied as one piece.
        const string body = "air,unit=van-lam-air-1 pm25=1 1764230400\nair,unit=van-lam-air-1 aqi=2,pm25=3 1764230400";
        var (points, received) = ParseValid(body, Precision.Seconds);
        Assert.True(received.PassThrough);
        Assert.False(Formatter.TrySpliceUtf8(points, Encoding.UTF8.GetBytes(body), received.Lines, received.Precision, out _));
        var (spliced, _, _, _) = Both(body, Precision.Seconds);
        Assert.Null(spliced);
    }
}
