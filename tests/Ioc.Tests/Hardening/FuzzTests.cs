using System.Globalization;
using System.Net.Http.Headers;
using CsCheck;

namespace Ioc.Tests.Hardening;

/// <summary>
/// Bodies mutated from valid ones (bytes flipped, cut short, inserted, duplicated) posted through the real
/// HTTP pipeline. The property: never a 5xx; after a 2xx the store holds exactly the points the body holds, as
/// an independent reader of the body (<see cref="FuzzOracle"/>) reads them, and a JSON 202 counts them; after
/// any other answer the store holds nothing of the request. Cases run one at a time, and each empties the
/// store's points once it has read them back, so cases cannot mix.
/// <c>IOC_FUZZ_CASES</c> sets the number of cases per endpoint (200 by default, a few seconds); for a longer
/// run: <c>IOC_FUZZ_CASES=100000 dotnet test tests/Ioc.Tests --filter "FullyQualifiedName~FuzzTests"</c>.
/// </summary>
public sealed class FuzzTests(FuzzTests.Hub hub) : IClassFixture<FuzzTests.Hub>
{
    /// <summary>The hub without the new-series limit, which a long run of mutated tag values would reach.</summary>
    public sealed class Hub : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Ingest:Tags:MaxNewSeriesPerUnitPerHour"] = "0",
        };
    }

    private static long Cases => long.TryParse(Environment.GetEnvironmentVariable("IOC_FUZZ_CASES"), out var n) && n > 0 ? n : 200;

    private static readonly (string Unit, string Metric)[] Series =
    [
        ("van-lam-air-1", "pm25"), ("van-lam-air-1", "aqi"), ("kim-dong-water-1", "water-level"), ("tp-hung-yen-traffic-1", "vehicle-count"),
    ];

    private static string Number(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);

    // Timestamps a minute back, a millisecond apart from case to case, so that no two cases write the same point.
    private static long _clock = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();

    private static long NextMillisecond() => Interlocked.Increment(ref _clock);

    private static readonly Gen<string> JsonBody =
        Gen.Select(Gen.Int[0, Series.Length - 1], Gen.Double[-1000, 1000], Gen.Bool).Array[1, 5].Select(points =>
        {
            var ts = DateTimeOffset.FromUnixTimeMilliseconds(NextMillisecond());
            return JsonSerializer.Serialize(new
            {
                points = points.Select((p, i) => p.Item3
                    ? (object)new { unit = Series[p.Item1].Unit, metric = Series[p.Item1].Metric, value = Math.Round(p.Item2, 3), ts = ts.AddTicks(i) }
                    : new { unit = Series[p.Item1].Unit, metric = Series[p.Item1].Metric, value = Math.Round(p.Item2, 3) }),
            });
        });

    /// <summary>The shapes of a line: a metric as a field (integer, float, with underscores) or the measurement naming it.</summary>
    private static readonly Gen<Func<int, double, string>> Shape = Gen.OneOf(
        Gen.Const<Func<int, double, string>>((s, v) => $"m,unit={Series[s].Unit}{{0}} {Series[s].Metric.Replace('-', '_')}={Number(v)}"),
        Gen.Const<Func<int, double, string>>((s, v) => $"m,unit={Series[s].Unit}{{0}} {Series[s].Metric}={(long)v}i"),
        Gen.Const<Func<int, double, string>>((s, v) => $"{Series[s].Metric},unit={Series[s].Unit}{{0}} value={Number(v)}"));

    private static readonly Gen<string> LineBody =
        Gen.Select(Gen.Int[0, Series.Length - 1], Gen.Double[-1000, 1000], Shape,
                Gen.OneOf(Gen.Const(""), Gen.Const(",site=Cổng\\ chợ"), Gen.Const(",host=gw\\,1"), Gen.Const(",locality=elsewhere")), Gen.Bool)
            .Array[1, 5].Select(lines =>
            {
                var ts = NextMillisecond();
                return string.Join('\n', lines.Select((l, i) =>
                    string.Format(CultureInfo.InvariantCulture, l.Item3(l.Item1, l.Item2), l.Item4) + (l.Item5 ? $" {ts + i * 1000}" : "")));
            });

    /// <summary>One mutation of a body: flip, cut, insert or duplicate bytes.</summary>
    private static readonly Gen<Func<byte[], byte[]>> Mutation = Gen.OneOf(
        Gen.Select(Gen.Double[0, 1], Gen.Byte).Select(m => (Func<byte[], byte[]>)(b =>
        {
            if (b.Length == 0) return b;
            var copy = (byte[])b.Clone();
            copy[(int)(m.Item1 * (b.Length - 1))] ^= (byte)(m.Item2 | 1);
            return copy;
        })),
        Gen.Double[0, 1].Select(at => (Func<byte[], byte[]>)(b => b[..(int)(at * b.Length)])),
        Gen.Select(Gen.Double[0, 1], Gen.Byte.Array[1, 4]).Select(m => (Func<byte[], byte[]>)(b =>
        {
            var at = (int)(m.Item1 * b.Length);
            return [.. b[..at], .. m.Item2, .. b[at..]];
        })),
        Gen.Select(Gen.Double[0, 1], Gen.Double[0, 1]).Select(m => (Func<byte[], byte[]>)(b =>
        {
            var from = (int)(m.Item1 * b.Length);
            var to = from + (int)(m.Item2 * (b.Length - from));
            return [.. b[..to], .. b[from..to], .. b[to..]];
        })));

    private static Gen<byte[]> Mutated(Gen<string> valid) =>
        Gen.Select(valid, Mutation.Array[0, 4]).Select(v => v.Item2.Aggregate(Encoding.UTF8.GetBytes(v.Item1), (body, mutate) => mutate(body)));

    [Fact]
    public async Task Mutated_JSON_bodies_never_get_a_5xx_and_an_acceptance_stores_exactly_the_points_sent()
    {
        var client = hub.CreateUnitClient();
        await Mutated(JsonBody).SampleAsync(async body =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            await Check(body, () => client.PostAsync("/api/v1/telemetry", content, Cancel), FuzzOracle.Json, (expected, text) =>
                Assert.Equal(expected.Count, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32()));
        }, iter: Cases, threads: 1);
        AssertExercised();
    }

    [Fact]
    public async Task Mutated_line_protocol_bodies_never_get_a_5xx_and_an_acceptance_stores_exactly_the_points_sent()
    {
        var client = hub.CreateUnitClient();
        var catalog = hub.Services.GetRequiredService<Ioc.Contracts.Catalog>();
        await Mutated(LineBody).SampleAsync(async body =>
        {
            // An accepted body is UTF-8 text: the hub never stores bytes it could not read back.
            await Check(body, () => client.PostAsync("/api/v2/write?org=ioc&bucket=ioc&precision=ms", new ByteArrayContent(body), Cancel),
                b => FuzzOracle.Lines(b, catalog), (_, _) => Assert.True(System.Text.Unicode.Utf8.IsValid(body), "accepted a body that is not UTF-8"));
        }, iter: Cases, threads: 1);
        AssertExercised();
    }

    [Fact]
    public async Task A_point_that_gives_its_time_twice_is_stored_at_the_last_even_when_that_is_null()
    {
        // As every JSON reader takes a repeated property: the last. The hub took the last unit, metric and value,
        // but a null time kept the time before it.
        var ts = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes($$"""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":7.5,"ts":"{{ts}}","ts":null}]}""");
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await Check(body, () => hub.CreateUnitClient().PostAsync("/api/v1/telemetry", content, Cancel), FuzzOracle.Json, (_, _) => { });
        Assert.Equal(1, _accepted);
    }

    [Fact]
    public async Task A_line_protocol_body_with_a_byte_that_is_not_UTF_8_in_a_comment_is_400_and_stores_nothing()
    {
        byte[] body = [.. "# station "u8, 0xAD, .. "\nair,unit=van-lam-air-1 pm25=1\n"u8];
        await Check(body, () => hub.CreateUnitClient().PostAsync("/api/v2/write?precision=ms", new ByteArrayContent(body), Cancel), _ => null, (_, _) => { });
        var refused = await hub.CreateUnitClient().PostAsync("/api/v2/write?precision=ms", new ByteArrayContent(body), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("line 1: the body is not valid UTF-8", await refused.Content.ReadAsStringAsync(Cancel));
    }

    private long _accepted;

    // A fifth of the cases are not mutated at all: if hardly any is accepted, the property was not tested.
    private void AssertExercised() =>
        Assert.True(_accepted >= Cases / 20, $"only {_accepted} of {Cases} cases were accepted; the generators no longer make valid bodies");

    /// <summary>
    /// Posts one case and reads back what reached the store: nothing unless the answer was a 2xx, and then exactly
    /// what <paramref name="read"/> finds in the body (the last of points that repeat a series and time, which
    /// replace one another; points without a time at one arrival time within the request).
    /// </summary>
    private async Task Check(byte[] body, Func<Task<HttpResponseMessage>> post, Func<byte[], List<ExpectedPoint>?> read, Action<List<ExpectedPoint>, string> accepted)
    {
        var before = FuzzOracle.Nanoseconds(DateTimeOffset.UtcNow);
        using var response = await post();
        var after = FuzzOracle.Nanoseconds(DateTimeOffset.UtcNow);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        var stored = await StoredAndCleared();
        var what = $"{(int)response.StatusCode} for {Convert.ToBase64String(body)} ({Printable(body)}): {text}";
        Assert.True((int)response.StatusCode < 500, what);
        if (!response.IsSuccessStatusCode)
        {
            Assert.True(stored.Count == 0, $"{what}\nyet the store took {string.Join("; ", stored)}");
            return;
        }
        var expected = read(body);
        Assert.True(expected is not null, $"{what}\nthe body does not read as points by the documented rules");
        accepted(expected, text);
        _accepted++;

        var last = new Dictionary<(string, string, string, long?), double>();
        foreach (var p in expected) last[(p.Unit, p.Metric, p.Tags, p.Ts)] = p.Value;
        var unmatched = new List<ExpectedPoint>(stored);
        var missing = new List<string>();
        long? arrival = null;
        foreach (var ((unit, metric, tags, ts), value) in last)
        {
            var i = unmatched.FindIndex(s => s.Unit == unit && s.Metric == metric && s.Tags == tags && s.Value.Equals(value)
                && (ts is { } t ? s.Ts == t : s.Ts >= before && s.Ts <= after && (arrival is null || s.Ts == arrival)));
            if (i < 0)
            {
                missing.Add($"{unit} {metric} [{tags}] @{ts?.ToString(CultureInfo.InvariantCulture) ?? "arrival"} = {value}");
                continue;
            }
            if (ts is null) arrival = unmatched[i].Ts;
            unmatched.RemoveAt(i);
        }
        Assert.True(missing.Count == 0 && unmatched.Count == 0,
            $"{what}\nthe body holds but the store lacks: {string.Join("; ", missing)}\nthe store holds but the body lacks: {string.Join("; ", unmatched)}");
    }

    /// <summary>Every point in the store, once the buffer has drained into it; then the store's points are deleted.</summary>
    private async Task<List<ExpectedPoint>> StoredAndCleared()
    {
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await buffer.WhenConfirmed(buffer.DurableEnd, timeout.Token);
        using var connection = hub.Services.GetRequiredService<EmbeddedStore>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT s.unit, s.metric, s.tags, p.ts, p.value FROM samples p JOIN series s ON s.id = p.series";
        var points = new List<ExpectedPoint>();
        using (var reader = command.ExecuteReader())
            while (reader.Read())
                points.Add(new ExpectedPoint(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetDouble(4)));
        command.CommandText = "DELETE FROM samples";
        command.ExecuteNonQuery();
        return points;
    }

    private static string Printable(byte[] body) =>
        string.Concat(Encoding.UTF8.GetString(body).Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));
}
