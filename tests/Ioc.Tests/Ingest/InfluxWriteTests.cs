using CsCheck;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary><c>POST /api/v2/write</c> answers as InfluxDB 2.x does, and stores a request whole or not at all.</summary>
public sealed class InfluxWriteTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private static double Unique() => Math.Round(Random.Shared.NextDouble() * 1000, 3);

    private static long NowSeconds => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Fact]
    public async Task A_line_protocol_write_answers_204_with_no_body_and_its_points_reach_the_unit()
    {
        await using var watch = await UnitWatch.Start(hub, "van-giang-air-1");
        var (pm25, aqi) = (Unique(), Unique());
        var response = await hub.CreateUnitClient().WriteLines($"air,unit=van-giang-air-1,site=Cổng\\ chợ pm25={pm25},aqi={aqi}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Cancel));
        await watch.WaitFor("pm25", pm25);
        await watch.WaitFor("aqi", aqi);
    }

    [Theory]
    [InlineData("ns", 1_000_000_000L)]
    [InlineData("us", 1_000_000L)]
    [InlineData("ms", 1_000L)]
    [InlineData("s", 1L)]
    public async Task Every_precision_places_the_point_at_the_instant_it_names(string precision, long perSecond)
    {
        await using var watch = await UnitWatch.Start(hub, "kim-dong-water-1");
        var seconds = NowSeconds - 30;
        var value = Unique();
        var response = await hub.CreateUnitClient().WriteLines($"water-level,unit=kim-dong-water-1 value={value} {seconds * perSecond}", precision);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var seen = await watch.WaitFor("water-level", value);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(seconds), seen.Timestamp);
    }

    [Fact]
    public async Task A_gzipped_body_is_accepted()
    {
        await using var watch = await UnitWatch.Start(hub, "phu-cu-traffic-1");
        var speed = Unique();
        var response = await hub.CreateUnitClient().WriteLines($"traffic,unit=phu-cu-traffic-1 avg_speed={speed},vehicle_count=3i", gzip: true);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await watch.WaitFor("avg-speed", speed);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_and_a_gzipped_one_is_held_to_the_limit_once_decompressed()
    {
        // 100 KiB of lines, under the point limit; gzipped it is a few KiB.
        var big = string.Concat(Enumerable.Repeat($"#{new string('x', 1000)}\n", 100)) + "air,unit=van-lam-air-1 pm25=1";
        Assert.True(Gzip(Encoding.UTF8.GetBytes(big)).Length < 65536 / 4);

        var plain = await hub.CreateUnitClient().WriteLines(big);
        Assert.Contains("larger than the limit of 65536 bytes", await plain.InfluxError(HttpStatusCode.RequestEntityTooLarge, "request too large"));
        var zipped = await hub.CreateUnitClient().WriteLines(big, gzip: true);
        Assert.Contains("larger than the limit", await zipped.InfluxError(HttpStatusCode.RequestEntityTooLarge, "request too large"));
    }

    [Fact]
    public async Task More_points_than_one_request_may_carry_is_413()
    {
        var body = string.Join('\n', Enumerable.Range(0, 251).Select(_ => "traffic,unit=an-thi-traffic-1 vehicle-count=1i,avg-speed=2"));
        var response = await hub.CreateUnitClient().WriteLines(body);
        Assert.Equal("line 251: the request has more than 500 points; send at most 500 per request",
            await response.InfluxError(HttpStatusCode.RequestEntityTooLarge, "request too large"));
    }

    [Fact]
    public async Task A_corrupt_gzip_body_and_an_unknown_encoding_are_refused()
    {
        var corrupt = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=b") { Content = new ByteArrayContent([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) };
        corrupt.Content.Headers.ContentEncoding.Add("gzip");
        var response = await hub.CreateUnitClient().SendAsync(corrupt, Cancel);
        Assert.StartsWith("The body is not valid gzip", await response.InfluxError(HttpStatusCode.BadRequest, "invalid"));

        // A whole gzip stream cut short decompresses to a prefix of the lines: it must not half-apply.
        var whole = Gzip(Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 50).Select(i => $"air,unit=van-lam-air-1 pm25={i}"))));
        foreach (var missing in new[] { 1, 4, 8, 20, whole.Length / 2 })
        {
            var cut = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=b") { Content = new ByteArrayContent(whole[..^missing]) };
            cut.Content.Headers.ContentEncoding.Add("gzip");
            var truncated = await hub.CreateUnitClient().SendAsync(cut, Cancel);
            Assert.StartsWith("The body is not valid gzip", await truncated.InfluxError(HttpStatusCode.BadRequest, "invalid"));
        }

        var brotli = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=b") { Content = new StringContent("x") };
        brotli.Content.Headers.ContentEncoding.Add("br");
        var unsupported = await hub.CreateUnitClient().SendAsync(brotli, Cancel);
        Assert.Contains("Content-Encoding 'br'", await unsupported.InfluxError(HttpStatusCode.UnsupportedMediaType, "invalid"));
    }

    [Fact]
    public async Task A_malformed_line_is_400_naming_the_line_and_nothing_of_the_request_is_stored()
    {
        await using var watch = await UnitWatch.Start(hub, "tien-lu-air-1");
        var before = await hub.PointsReceived("tien-lu-air-1");
        var response = await hub.CreateUnitClient().WriteLines(
            $"air,unit=tien-lu-air-1 pm25=10 {NowSeconds - 60}\nair,unit=tien-lu-air-1 pm25=ten {NowSeconds - 59}", "s");
        Assert.StartsWith("line 2: field 'pm25' has an invalid value 'ten'", await response.InfluxError(HttpStatusCode.BadRequest, "invalid"));

        // A later write arrives alone: the first line of the refused request was never counted.
        var sentinel = Unique();
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient().WriteLines($"air,unit=tien-lu-air-1 pm25={sentinel}")).StatusCode);
        await watch.WaitFor("pm25", sentinel);
        Assert.Equal(before + 1, await hub.PointsReceived("tien-lu-air-1"));
        Assert.DoesNotContain(watch.Seen, v => v.Value == 10);
    }

    [Fact]
    public async Task A_timestamp_too_far_ahead_is_400_naming_the_line()
    {
        var response = await hub.CreateUnitClient().WriteLines($"air,unit=van-lam-air-1 pm25=1 {NowSeconds + 3600}", "s");
        var message = await response.InfluxError(HttpStatusCode.BadRequest, "invalid");
        Assert.StartsWith("line 1: timestamp", message);
        Assert.Contains("ahead of the hub's clock", message);
    }

    [Fact]
    public async Task An_unknown_precision_is_400()
    {
        var response = await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=1", "h");
        Assert.Equal("invalid precision 'h'; use ns, us, ms or s", await response.InfluxError(HttpStatusCode.BadRequest, "invalid"));
    }

    [Fact]
    public async Task An_empty_body_is_400_as_InfluxDB_answers_it()
    {
        var response = await hub.CreateUnitClient().WriteLines("");
        Assert.Equal("writing requires points", await response.InfluxError(HttpStatusCode.BadRequest, "invalid"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Token not-a-real-token")]
    [InlineData("Token ioc_0123456789ab_forged")]
    [InlineData("Bearer dev-token-hung-yen-ioc")]
    public async Task A_missing_or_unknown_token_is_401(string? authorization)
    {
        var client = hub.CreateClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        var response = await client.WriteLines("air,unit=van-lam-air-1 pm25=1");
        Assert.StartsWith("unauthorized access", await response.InfluxError(HttpStatusCode.Unauthorized, "unauthorized"));
    }

    [Theory]
    [InlineData("air,unit=van-lam-air-1 pm25=1\n\0\0\0")]
    [InlineData("\"\"\"\"\"\"\"")]
    [InlineData("air,unit=van-lam-air-1 pm25=1,aqi=\"")]
    [InlineData("air,unit=van-lam-air-1\\ pm25=1")]
    [InlineData("air,unit=van-lam-air-1 pm25=1 -9223372036854775808")]
    [InlineData("air,unit=van-lam-air-1 pm25=1 99999999999999999999999")]
    [InlineData("air,unit=van-lam-air-1 pm25=1\\")]
    [InlineData("\\\\\\\\\\ \\, \\=")]
    [InlineData("air,unit=van-lam-air-1 pm25=18446744073709551616u")]
    [InlineData("air,\\=\\,=\\ \\= pm25=1")]
    public async Task Hostile_input_gets_a_400_never_a_500(string body)
    {
        var response = await hub.CreateUnitClient().WriteLines(body);
        await response.InfluxError(HttpStatusCode.BadRequest, "invalid");
    }

    [Fact]
    public async Task Random_bytes_never_get_a_500()
    {
        var client = hub.CreateUnitClient();
        await Gen.Byte.Array[0, 200].SampleAsync(async bytes =>
        {
            var response = await client.PostAsync("/api/v2/write?bucket=b", new ByteArrayContent(bytes), Cancel);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NoContent, $"{response.StatusCode} for {Convert.ToHexString(bytes)}");
        }, iter: 200, threads: 1);
    }
}
