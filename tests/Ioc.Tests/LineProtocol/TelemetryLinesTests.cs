using Ioc.Ingest;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;
using static Ioc.Tests.LineProtocol.Parsing;

namespace Ioc.Tests.LineProtocol;

/// <summary>How line protocol maps onto the hub's units and metrics, and what it refuses.</summary>
public sealed class TelemetryLinesTests
{
    [Fact]
    public void Field_keys_name_metrics_and_the_unit_tag_names_the_unit()
    {
        var points = Accept("air,unit=van-lam-air-1 pm25=12.5,aqi=40i 1764230400000000000");
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Equal("van-lam-air-1", p.Unit));
        Assert.Equal(("pm25", 12.5), (points[0].Metric, points[0].Value));
        Assert.Equal(("aqi", 40.0), (points[1].Metric, points[1].Value));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764230400), points[0].Timestamp);
    }

    [Theory]
    // Each unit's metrics on one line; a line for every point; a line with tags beyond the unit's; no final line feed.
    [InlineData("air,unit=van-lam-air-1 pm25=1,aqi=2i 1764230400\nair,unit=yen-my-air-1 pm25=3,aqi=4i 1764230400\n", 4, 4)]
    [InlineData("air,unit=van-lam-air-1 pm25=1 1764230400\nair,unit=yen-my-air-1 aqi=2i 1764230400\nair,unit=van-lam-air-1 aqi=3i 1764230400\n", 3, 3)]
    [InlineData("air,site=gate,unit=van-lam-air-1 pm25=1,aqi=2i 1764230400\n", 2, 3)]
    [InlineData("air,unit=van-lam-air-1 pm25=1 1764230400", 1, 2)]
    public void The_room_made_for_a_requests_points_is_its_points_and_one_more_for_each_extra_tag_or_a_last_line_without_a_line_feed(string body, int points, int room)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        Assert.Equal(points, Accept(body, Rules(Ioc.Ingest.LineProtocol.Precision.Seconds)).Count);
        Assert.Equal(room, TelemetryLines.EstimatePoints(bytes, bytes.AsSpan().Count((byte)'\n') + 1, maxPoints: 10_000));
        Assert.Equal(1, TelemetryLines.EstimatePoints(bytes, 1, maxPoints: 1));
    }

    [Fact]
    public void A_field_named_value_takes_its_metric_from_the_measurement_as_NodeRED_sends_it()
    {
        var point = Assert.Single(Accept("water-level,unit=van-lam-water-1 value=2.31"));
        Assert.Equal(("water-level", 2.31), (point.Metric, point.Value));
    }

    [Fact]
    public void Metric_ids_may_be_spelled_with_underscores_as_Telegraf_users_write_them()
    {
        var points = Accept("traffic,unit=van-lam-traffic-1 vehicle_count=120i,avg_speed=41.5");
        Assert.Equal(["vehicle-count", "avg-speed"], points.Select(p => p.Metric));
        Assert.Same(Parsing.Catalog.Metric("vehicle-count").Id, points[0].Metric);
    }

    [Fact]
    public void Integers_unsigned_integers_and_every_boolean_spelling_become_numbers()
    {
        var points = Accept(
            "q,unit=van-lam-service-1 queue-length=-3i\n" +
            "q,unit=van-lam-service-1 queue-length=18446744073709551615u 1764230400000000000\n" +
            string.Join('\n', new[] { "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE" }
                .Select((b, i) => $"cam,unit=van-lam-camera-1 camera-online-ratio={b} {1764230400000000000 + i}")));
        Assert.Equal(-3, points[0].Value);
        Assert.Equal(18446744073709551615.0, points[1].Value);
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], points.Skip(2).Select(p => p.Value));
    }

    [Fact]
    public void A_line_without_a_timestamp_gets_server_time()
    {
        Assert.Equal(Now, Assert.Single(Accept("air,unit=van-lam-air-1 pm25=1")).Timestamp);
    }

    [Theory]
    [InlineData(Precision.Nanoseconds, "1764230400123456789", 17642304001234567L)]
    [InlineData(Precision.Microseconds, "1764230400123456", 17642304001234560L)]
    [InlineData(Precision.Milliseconds, "1764230400123", 17642304001230000L)]
    [InlineData(Precision.Seconds, "1764230400", 17642304000000000L)]
    public void Every_precision_reads_timestamps_in_its_own_unit(Precision precision, string timestamp, long ticksSinceEpoch)
    {
        var point = Assert.Single(Accept($"air,unit=van-lam-air-1 pm25=1 {timestamp}", Rules(precision)));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(ticksSinceEpoch), point.Timestamp);
    }

    [Fact]
    public void Other_tags_are_kept_escaped_and_sorted_and_Vietnamese_survives()
    {
        var point = Assert.Single(Accept("air,zone=Phố\\ Nối\\,A,unit=van-lam-air-1,host=trạm\\=1 pm25=9"));
        Assert.Equal("host=trạm\\=1,zone=Phố\\ Nối\\,A", point.ExtraTags);
        Assert.Null(Assert.Single(Accept("air,unit=van-lam-air-1 pm25=9")).ExtraTags);
    }

    [Fact]
    public void The_fields_of_a_line_and_lines_with_the_same_tags_share_one_tag_string()
    {
        var points = Accept("a,unit=van-lam-air-1,site=x pm25=1,aqi=2 1764230400000000000\na,site=x,unit=van-lam-air-1 pm25=3,aqi=4 1764230400000000001");
        Assert.All(points, p => Assert.Same(points[0].ExtraTags, p.ExtraTags));
    }

    [Fact]
    public void Blank_lines_comments_carriage_returns_and_surrounding_spaces_are_ignored()
    {
        var points = Accept("\n# comment, with = signs\r\n   \r\n  air,unit=van-lam-air-1   pm25=1   1764230400000000000  \r\n\t# another\n\nair,unit=van-lam-air-1 pm25=2\r\n");
        Assert.Equal([1.0, 2.0], points.Select(p => p.Value));
    }

    [Theory]
    [InlineData("a\\,b\\ c\\\\", "a,b c\\")]
    [InlineData("a\\=b", "a\\=b")]
    [InlineData("a\\xb", "a\\xb")]
    [InlineData("trạm\\ Văn\\ Lâm", "trạm Văn Lâm")]
    public void Measurements_unescape_commas_spaces_and_backslashes_only(string raw, string expected)
    {
        var line = OneLine($"{raw} f=1");
        Assert.Equal(expected, Escaping.UnescapeToString(line.Measurement, Escaping.Element.Measurement));
    }

    [Theory]
    [InlineData("k\\,\\=\\ \\\\=v\\,\\=\\ \\\\", "k,= \\", "v,= \\")]
    [InlineData("k\\\"=v\\\"", "k\\\"", "v\\\"")]
    [InlineData("path=C:\\dir", "path", "C:\\dir")]
    public void Tag_keys_and_values_unescape_commas_equals_signs_spaces_and_backslashes(string tag, string key, string value)
    {
        var line = OneLine($"m,{tag} f=1");
        var tags = line.EnumerateTags();
        Assert.True(tags.MoveNext());
        Assert.Equal(key, Escaping.UnescapeToString(tags.Current.Key, Escaping.Element.Key));
        Assert.Equal(value, Escaping.UnescapeToString(tags.Current.Value, Escaping.Element.Key));
        Assert.False(tags.MoveNext());
    }

    [Theory]
    [InlineData("\"a \\\"quoted\\\" word\"", "a \"quoted\" word")]
    [InlineData("\"back\\\\slash\"", "back\\slash")]
    [InlineData("\"lone\\ backslash\"", "lone\\ backslash")]
    [InlineData("\"commas, equals= and spaces\"", "commas, equals= and spaces")]
    [InlineData("\"two\nlines\"", "two\nlines")]
    [InlineData("\"\"", "")]
    public void String_values_unescape_quotes_and_backslashes(string written, string expected)
    {
        var line = OneLine($"m s={written},n=1i 5");
        var fields = line.EnumerateFields();
        Assert.True(fields.MoveNext());
        Assert.Equal(FieldKind.String, fields.Current.Value.Kind);
        Assert.Equal(expected, Escaping.UnescapeToString(fields.Current.Value.Raw, Escaping.Element.String));
        Assert.True(fields.MoveNext());
        Assert.Equal(1, fields.Current.Value.Integer);
        Assert.Equal("5", Encoding.UTF8.GetString(line.Timestamp));
    }

    [Fact]
    public void A_line_after_a_string_spanning_two_lines_is_numbered_by_the_body_line_it_starts_on()
    {
        var reader = new LineReader("m s=\"a\nb\" 1\n\nm f=1 2\nm f=\"x\ny\nz\"\nm f= 3"u8);
        Assert.Equal(ReadStatus.Line, reader.Read(out var first, out _));
        Assert.Equal(1, first.Number);
        Assert.Equal(ReadStatus.Line, reader.Read(out var second, out _));
        Assert.Equal(4, second.Number);
        Assert.Equal(ReadStatus.Line, reader.Read(out var third, out _));
        Assert.Equal(5, third.Number);
        Assert.Equal(ReadStatus.Error, reader.Read(out _, out var error));
        Assert.Equal(8, error.Line);
    }

    [Fact]
    public void A_string_value_for_a_metric_is_refused_with_a_clear_message()
    {
        var error = Refuse("air,unit=van-lam-air-1 pm25=\"12\"");
        Assert.Equal(IngestErrorKind.Invalid, error.Kind);
        Assert.Equal("line 1: field 'pm25' is a string, but metric 'pm25' takes numbers", error.ToString());
    }

    [Theory]
    [InlineData("air,unit=van-lam-air-1 pm25=1e400", "not a finite number")]
    [InlineData("air,unit=van-lam-air-1 pm25=-1e400", "not a finite number")]
    [InlineData("air,unit=van-lam-air-1 pm25=NaN", "invalid value 'NaN'")]
    [InlineData("air,unit=van-lam-air-1 pm25=Inf", "invalid value 'Inf'")]
    [InlineData("air,unit=van-lam-air-1 pm25=+Infinity", "invalid value '+Infinity'")]
    public void Values_that_are_not_finite_are_refused(string body, string message)
    {
        Assert.Contains(message, Refuse(body).Message);
    }

    [Fact]
    public void Timestamps_beyond_the_allowed_skew_or_older_than_retention_are_refused_naming_the_line()
    {
        var future = Now.AddMinutes(11).ToUnixTimeSeconds();
        var error = Refuse($"air,unit=van-lam-air-1 pm25=1 {Now.ToUnixTimeSeconds()}\nair,unit=van-lam-air-1 pm25=1 {future}", Rules(Precision.Seconds));
        Assert.Equal(2, error.Line);
        Assert.Contains("ahead of the hub's clock", error.Message);

        var old = Now.AddDays(-367).ToUnixTimeSeconds();
        var stale = Refuse($"air,unit=van-lam-air-1 pm25=1 {old}", Rules(Precision.Seconds));
        Assert.Contains("older than the retention of 366 days", stale.Message);

        var overflow = Refuse("air,unit=van-lam-air-1 pm25=1 9223372036854775807", Rules(Precision.Seconds));
        Assert.Contains("out of range for precision s", overflow.Message);
    }

    [Fact]
    public void A_unit_outside_the_tokens_scope_is_forbidden_naming_the_line()
    {
        var grant = new TokenGrant("t1", "van-lam gateway", Parsing.Catalog.UnitsUnder("van-lam"));
        var error = Refuse("air,unit=van-lam-air-1 pm25=1\nair,unit=an-thi-air-1 pm25=1", Rules(grant: grant));
        Assert.Equal(IngestErrorKind.Forbidden, error.Kind);
        Assert.Equal("line 2: the token 'van-lam gateway' may not write to unit 'an-thi-air-1'", error.ToString());
    }

    [Fact]
    public void A_tag_set_seen_before_is_held_to_the_limits_and_the_scope_of_each_request_as_a_new_one_is()
    {
        // The parser remembers tag sets it found valid; what a request allows is checked again on every line.
        var body = Encoding.UTF8.GetBytes("air,unit=van-lam-air-1,site=gate-1 pm25=1\nair,site=gate-1,unit=an-thi-air-1 pm25=2");
        var strict = new IngestOptions { Tags = new TagLimits { MaxValueBytes = 12 } };
        var vanLam = new TokenGrant("t1", "van-lam gateway", Parsing.Catalog.UnitsUnder("van-lam"));
        IngestError? Run(TelemetryLines lines, TokenGrant grant, IngestOptions limits, List<TelemetryPoint> points) =>
            lines.Parse(body, Precision.Nanoseconds, new IngestRules(Now, grant, limits), points);

        var warmed = new TelemetryLines(Parsing.Catalog);
        var first = new List<TelemetryPoint>();
        Assert.Null(Run(warmed, Everything, new IngestOptions(), first));
        Assert.Equal([("van-lam-air-1", "site=gate-1"), ("an-thi-air-1", "site=gate-1")], first.Select(p => (p.Unit, p.ExtraTags)));

        foreach (var (grant, limits) in new[] { (Everything, strict), (vanLam, new IngestOptions()), (Everything, new IngestOptions()) })
        {
            var again = new List<TelemetryPoint>();
            var fresh = new List<TelemetryPoint>();
            var error = Run(warmed, grant, limits, again);
            Assert.Equal(Run(new TelemetryLines(Parsing.Catalog), grant, limits, fresh)?.ToString(), error?.ToString());
            if (error is null)
                Assert.Equal(fresh, again);
        }
        Assert.Contains("the value of tag 'unit' is 13 bytes long", Run(warmed, Everything, strict, [])!.Message);
        Assert.Equal(IngestErrorKind.Forbidden, Run(warmed, vanLam, new IngestOptions(), [])!.Kind);
    }

    [Fact]
    public void More_points_than_allowed_are_refused_as_too_large()
    {
        var error = Refuse("air,unit=van-lam-air-1 pm25=1,aqi=2\nair,unit=van-lam-air-1 pm25=1,aqi=2", Rules(maxPoints: 3));
        Assert.Equal((IngestErrorKind.TooLarge, 2), (error.Kind, error.Line));
    }

    // A corpus of malformed and meaningless input: each is refused as invalid, with its line and what is wrong.
    [Theory]
    [InlineData("", 0, "writing requires points")]
    [InlineData("# only a comment\n\n", 0, "writing requires points")]
    [InlineData("air", 1, "no fields")]
    [InlineData("air,unit=van-lam-air-1", 1, "no fields")]
    [InlineData("air,unit=van-lam-air-1 ", 1, "no fields")]
    [InlineData(",unit=van-lam-air-1 pm25=1", 1, "must start with a measurement")]
    [InlineData("air, pm25=1", 1, "tag key is empty")]
    [InlineData("air,unit pm25=1", 1, "tag 'unit' has no '=value'")]
    [InlineData("air,unit= pm25=1", 1, "tag 'unit' has an empty value")]
    [InlineData("air,unit=a=b pm25=1", 1, "unescaped '='")]
    [InlineData("air,unit=van-lam-air-1 pm25", 1, "field 'pm25' has no '=value'")]
    [InlineData("air,unit=van-lam-air-1 pm25=", 1, "field 'pm25' has no value")]
    [InlineData("air,unit=van-lam-air-1 pm25=1,", 1, "field key is empty")]
    [InlineData("air,unit=van-lam-air-1 =1", 1, "field key is empty")]
    [InlineData("air,unit=van-lam-air-1 pm25=\"open", 1, "no closing '\"'")]
    [InlineData("air,unit=van-lam-air-1 pm25=1 12a", 1, "timestamp '12a' is not an integer")]
    [InlineData("air,unit=van-lam-air-1 pm25=1 1 2", 1, "unexpected '2' after the timestamp")]
    [InlineData("air,unit=van-lam-air-1 pm25=\"x\"y", 1, "unexpected 'y' after the fields")]
    [InlineData("air,unit=van-lam-air-1 pm25=1\rx", 1, "unexpected '\\r'")]
    [InlineData("air,unit=van-lam-air-1 pm25=1.2.3", 1, "invalid value '1.2.3'")]
    [InlineData("air,unit=van-lam-air-1 pm25=1.5i", 1, "invalid value '1.5i'")]
    [InlineData("air,unit=van-lam-air-1 pm25=-1u", 1, "invalid value '-1u'")]
    [InlineData("air,unit=van-lam-air-1 pm25=99999999999999999999i", 1, "invalid value")]
    [InlineData("air,unit=van-lam-air-1 pm25=yes", 1, "invalid value 'yes'")]
    [InlineData("air,unit=van-lam-air-1 pm25=tRUE", 1, "invalid value 'tRUE'")]
    [InlineData("air,unit=van-lam-air-1 pm25=.", 1, "invalid value '.'")]
    [InlineData("air,unit=van-lam-air-1 pm25=1e", 1, "invalid value '1e'")]
    [InlineData("air,site=x pm25=1", 1, "no 'unit' tag")]
    [InlineData("air,unit=nowhere pm25=1", 1, "unit 'nowhere' is not in the catalog")]
    [InlineData("air,unit=van-lam pm25=1", 1, "'van-lam' is a district, not a unit")]
    [InlineData("air,unit=van-lam-air-1 temperature=1", 1, "field 'temperature' is not a metric the hub knows")]
    [InlineData("air,unit=van-lam-air-1 value=1", 1, "field 'value' is not a metric")]
    [InlineData("air,unit=van-lam-air-1 water-level=1", 1, "unit 'van-lam-air-1' does not report metric 'water-level'")]
    [InlineData("air,unit=van-lam-air-1 pm25=1,pm25=2", 1, "metric 'pm25' is given twice")]
    [InlineData("air,unit=van-lam-air-1 pm25=1,pm_25=2,aqi=1", 1, "not a metric")]
    [InlineData("air,unit=van-lam-air-1,unit=van-lam-air-1 pm25=1", 1, "tag 'unit' appears twice")]
    [InlineData("air,unit=van-lam-air-1,a=1,a=2 pm25=1", 1, "tag 'a' appears twice")]
    [InlineData("air,unit=van-lam-air-1 pm25=1\nair,unit=van-lam-air-1 pm25=2\nbroken", 3, "no fields")]
    public void Malformed_input_is_refused_with_the_line_and_what_is_wrong(string body, int line, string message)
    {
        var error = Refuse(body);
        Assert.Equal(IngestErrorKind.Invalid, error.Kind);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Tags_that_are_not_UTF8_are_refused()
    {
        var body = Encoding.UTF8.GetBytes("air,unit=van-lam-air-1,site=X pm25=1").ToList();
        body[body.IndexOf((byte)'X')] = 0xC3;
        var points = new List<TelemetryPoint>();
        var error = Lines.Parse(body.ToArray(), Rules(), points);
        Assert.Contains("not valid UTF-8", error?.Message);
    }

    /// <summary>The one line of <paramref name="text"/>, which must read as a line.</summary>
    private static Line OneLine(string text)
    {
        var reader = new LineReader(Encoding.UTF8.GetBytes(text));
        Assert.Equal(ReadStatus.Line, reader.Read(out var line, out _));
        return line;
    }
}
