using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Hardening;

/// <summary>
/// Bodies mutated from valid ones (bytes flipped, cut short, inserted, duplicated) posted through the real
/// HTTP pipeline. The property: never a 5xx, and a JSON 202 counts exactly the points the body holds.
/// <c>IOC_FUZZ_CASES</c> sets the number of cases per endpoint (200 by default, a few seconds); for a longer
/// run: <c>IOC_FUZZ_CASES=100000 dotnet test tests/Ioc.Tests --filter "FullyQualifiedName~FuzzTests"</c>.
/// </summary>
public sealed class FuzzTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Cases => long.TryParse(Environment.GetEnvironmentVariable("IOC_FUZZ_CASES"), out var n) && n > 0 ? n : 200;

    private static readonly (string Unit, string Metric)[] Series =
    [
        ("van-lam-air-1", "pm25"), ("van-lam-air-1", "aqi"), ("kim-dong-water-1", "water-level"), ("tp-hung-yen-traffic-1", "vehicle-count"),
    ];

    private static readonly Gen<string> JsonBody =
        Gen.Select(Gen.Int[0, Series.Length - 1], Gen.Double[-1000, 1000], Gen.Bool).Array[1, 5].Select(points =>
            JsonSerializer.Serialize(new
            {
                points = points.Select(p => p.Item3
                    ? (object)new { unit = Series[p.Item1].Unit, metric = Series[p.Item1].Metric, value = Math.Round(p.Item2, 3), ts = DateTimeOffset.UtcNow.AddMinutes(-1) }
                    : new { unit = Series[p.Item1].Unit, metric = Series[p.Item1].Metric, value = Math.Round(p.Item2, 3) }),
            }));

    private static readonly Gen<string> LineBody =
        Gen.Select(Gen.Int[0, Series.Length - 1], Gen.Double[-1000, 1000], Gen.OneOf(Gen.Const(""), Gen.Const(",site=Cổng\\ chợ"), Gen.Const(",host=gw\\,1")))
            .Array[1, 5].Select(lines => string.Join('\n', lines.Select(l =>
                $"m,unit={Series[l.Item1].Unit}{l.Item3} {Series[l.Item1].Metric.Replace('-', '_')}={Math.Round(l.Item2, 3).ToString(System.Globalization.CultureInfo.InvariantCulture)}")));

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
    public async Task Mutated_JSON_bodies_never_get_a_5xx_and_an_acceptance_counts_the_points_sent()
    {
        var client = hub.CreateUnitClient();
        await Mutated(JsonBody).SampleAsync(async body =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync("/api/v1/telemetry", content, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {Convert.ToBase64String(body)}: {text}");
            if (response.StatusCode != HttpStatusCode.Accepted) return;
            // An independent reader must agree that the body is JSON, and on how many points it holds.
            using var sent = JsonDocument.Parse(body);
            Assert.Equal(sent.RootElement.GetProperty("points").GetArrayLength(), JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32());
        }, iter: Cases, threads: 1);
    }

    [Fact]
    public async Task Mutated_line_protocol_bodies_never_get_a_5xx()
    {
        var client = hub.CreateUnitClient();
        await Mutated(LineBody).SampleAsync(async body =>
        {
            using var response = await client.PostAsync("/api/v2/write?org=ioc&bucket=ioc", new ByteArrayContent(body), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {Convert.ToBase64String(body)}: {text}");
            // An accepted body is UTF-8 text: the hub never stores bytes it could not read back.
            if (response.IsSuccessStatusCode)
                Assert.True(System.Text.Unicode.Utf8.IsValid(body), $"accepted a body that is not UTF-8: {Convert.ToBase64String(body)}");
        }, iter: Cases, threads: 1);
    }
}
