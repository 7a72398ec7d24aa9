using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Http;

public sealed class TelemetryEndpointTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private async Task<HttpResponseMessage> Post(string body, string? token = HubFactory.DevToken)
    {
        var client = token is null ? hub.CreateClient() : hub.CreateUnitClient(token);
        return await client.PostAsync("/api/v1/telemetry", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
    }

    [Fact]
    public async Task A_valid_request_is_accepted_with_the_number_of_points()
    {
        var response = await Post("""
            {"points":[{"unit":"van-lam-air-1","metric":"pm25","value":38.2,"ts":"2026-11-27T08:00:00Z"},
                       {"unit":"van-lam-air-1","metric":"aqi","value":71}]}
            """);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Without_a_token_the_answer_is_401()
    {
        var problem = await (await Post("""{"points":[]}""", token: null)).Problem(HttpStatusCode.Unauthorized);
        Assert.Contains("Authorization: Token", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task With_an_unknown_token_the_answer_is_401()
    {
        await (await Post("""{"points":[]}""", token: "not-a-token")).Problem(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":1},{"unit":"hai-duong-air-1","metric":"pm25","value":1}]}""", 1, "unit", "unknown unit 'hai-duong-air-1'")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm10","value":1}]}""", 0, "metric", "unknown metric 'pm10'")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"water-level","value":1}]}""", 0, "metric", "does not report metric 'water-level'")]
    [InlineData("""{"points":[{"metric":"pm25","value":1}]}""", 0, "unit", "missing")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","value":1}]}""", 0, "metric", "missing")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25"}]}""", 0, "value", "missing")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":1e999}]}""", 0, "value", "not a finite number")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":"NaN"}]}""", 0, "value", "must be a number")]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":1,"ts":"yesterday"}]}""", 0, "ts", "ISO 8601")]
    public async Task A_bad_point_is_a_400_naming_its_index_field_and_reason(string body, int index, string field, string reason)
    {
        var problem = await (await Post(body)).Problem(HttpStatusCode.BadRequest);
        Assert.Equal(index, problem.GetProperty("index").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        var detail = problem.GetProperty("detail").GetString();
        Assert.StartsWith($"points[{index}].{field}: ", detail);
        Assert.Contains(reason, detail);
    }

    [Theory]
    [InlineData("""{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":1}""", "Malformed JSON")]
    [InlineData("""not json""", "Malformed JSON")]
    [InlineData("""[1,2,3]""", "must be a JSON object")]
    [InlineData("""{"readings":[]}""", "no \"points\" array")]
    public async Task Malformed_json_is_a_400_that_says_so(string body, string reason)
    {
        var problem = await (await Post(body)).Problem(HttpStatusCode.BadRequest);
        Assert.Contains(reason, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_request_with_one_bad_point_applies_none_of_its_points()
    {
        const string unit = "yen-my-water-1";
        var before = await hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitGrain>(unit).GetSnapshot();
        await (await Post($$"""
            {"points":[{"unit":"{{unit}}","metric":"water-level","value":3.3},
                       {"unit":"{{unit}}","metric":"water-level","value":null}]}
            """)).Problem(HttpStatusCode.BadRequest);

        // A good request for the same unit goes through the same ordered path; once it shows, the bad one would have too.
        var accepted = await Post($$"""{"points":[{"unit":"{{unit}}","metric":"water-level","value":1.25}]}""");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var screen = hub.CreateLiveConnection();
        var seen = new TaskCompletionSource<EntityUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
        screen.On<EntityUpdate[]>("update", frame =>
        {
            foreach (var u in frame)
                if (u.Metrics.Any(m => m.Metric == "water-level")) seen.TrySetResult(u);
        });
        await screen.StartAsync(Cancel);
        var snapshot = await screen.InvokeAsync<EntitySnapshot>("Subscribe", unit, Cancel);
        var latest = snapshot.Metrics.FirstOrDefault(m => m.Metric == "water-level")?.Value
            ?? (await seen.Task.WaitAsync(TimeSpan.FromSeconds(20), Cancel)).Metrics.Single(m => m.Metric == "water-level").Value;
        Assert.NotEqual(3.3, latest);
        Assert.Null(before.Metrics.FirstOrDefault(m => m.Value == 3.3));
        await screen.DisposeAsync();
    }
}
