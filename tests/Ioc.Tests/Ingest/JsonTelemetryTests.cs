using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary>The hub's JSON endpoint keeps the same limits as line protocol, with ProblemDetails answers.</summary>
public sealed class JsonTelemetryTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private static string Points(params object[] points) => JsonSerializer.Serialize(new { points });

    private Task<HttpResponseMessage> Post(string json, bool gzip = false)
    {
        var content = Body(json, gzip);
        content.Headers.ContentType = new("application/json");
        return hub.CreateUnitClient().PostAsync("/api/v1/telemetry", content, Cancel);
    }

    [Fact]
    public async Task A_gzipped_JSON_body_is_accepted()
    {
        await using var watch = await UnitWatch.Start(hub, "an-thi-water-1");
        var response = await Post(Points(new { unit = "an-thi-water-1", metric = "water-level", value = 3.75 }), gzip: true);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await watch.WaitFor("water-level", 3.75);
    }

    [Fact]
    public async Task A_JSON_timestamp_too_far_ahead_or_too_old_is_400_naming_the_point()
    {
        var ahead = await (await Post(Points(
            new { unit = "an-thi-water-1", metric = "water-level", value = 1, ts = DateTimeOffset.UtcNow },
            new { unit = "an-thi-water-1", metric = "water-level", value = 1, ts = DateTimeOffset.UtcNow.AddHours(2) }))).Problem(HttpStatusCode.BadRequest);
        Assert.Equal(1, ahead.GetProperty("index").GetInt32());
        Assert.Equal("ts", ahead.GetProperty("field").GetString());
        Assert.Contains("ahead of the hub's clock", ahead.GetProperty("detail").GetString());

        var old = await (await Post(Points(new { unit = "an-thi-water-1", metric = "water-level", value = 1, ts = DateTimeOffset.UtcNow.AddYears(-2) }))).Problem(HttpStatusCode.BadRequest);
        Assert.Contains("older than the retention", old.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task More_JSON_points_than_one_request_may_carry_is_413_and_an_oversized_body_too()
    {
        var many = Points([.. Enumerable.Range(0, 501).Select(_ => new { unit = "an-thi-water-1", metric = "water-level", value = 1 })]);
        var tooMany = await (await Post(many)).Problem(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("more than 500 points", tooMany.GetProperty("detail").GetString());

        var padded = Points(new { unit = "an-thi-water-1", metric = "water-level", value = 1, note = new string('x', 70_000) });
        await (await Post(padded)).Problem(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_non_finite_JSON_value_is_400()
    {
        var response = await Post("{\"points\":[{\"unit\":\"an-thi-water-1\",\"metric\":\"water-level\",\"value\":1e999}]}");
        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal("value", problem.GetProperty("field").GetString());
    }
}
