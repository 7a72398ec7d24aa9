namespace Ioc.Tests.Targets;

/// <summary>The admin API for targets, end to end: a change is validated, audited with who made it, and reaches the wall at once.</summary>
public sealed class TargetApiTests(HubFactory hub) : IClassFixture<HubFactory>
{
    [Fact]
    public async Task An_admin_raising_a_localitys_budget_target_is_audited_by_name_and_the_wall_sees_the_indicator_fall_below_it()
    {
        await using var screen = await Screen.Connect(hub);
        await screen.Subscribe("van-lam");
        var telemetry = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = "van-lam-ubnd", metric = "dt-budget-share", value = 1.2, ts = DateTimeOffset.UtcNow } },
        }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, telemetry.StatusCode);
        await screen.Updates.First(u => u.Id == "van-lam" && u.LastReport is not null && u.BelowTarget == 0);
        var mark = screen.Updates.Count;

        var admin = hub.CreatePersonClient(HubRoles.Admin);
        var put = await admin.PutAsJsonAsync("/api/v1/admin/targets/van-lam/dt-budget-share",
            new { target = new { direction = "atLeast", value = 1.5 } }, Cancel);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await screen.Updates.First(u => u.Id == "van-lam" && u.BelowTarget == 1, mark);
        var change = await put.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("test-admin", change.GetProperty("by").GetString());
        Assert.Equal("test-admin", change.GetProperty("subject").GetString());
        Assert.Equal("set", change.GetProperty("kind").GetString());
        Assert.Equal(1.0, change.GetProperty("from").GetProperty("target").GetProperty("value").GetDouble());
        Assert.Equal(1.5, change.GetProperty("to").GetProperty("target").GetProperty("value").GetDouble());
        Assert.Equal("atLeast", change.GetProperty("to").GetProperty("target").GetProperty("direction").GetString());

        var audit = await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/admin/targets/audit", Cancel);
        Assert.Equal(change.GetRawText(), audit![0].GetRawText());
        var inForce = await admin.GetFromJsonAsync<JsonElement>("/api/v1/admin/targets/van-lam-ubnd/dt-budget-share", Cancel);
        Assert.Equal("van-lam", inForce.GetProperty("targetFrom").GetString());
        var overrides = await admin.GetFromJsonAsync<JsonElement[]>("/api/v1/admin/targets", Cancel);
        Assert.Contains(overrides!, o => o.GetProperty("entity").GetString() == "van-lam" && o.GetProperty("setBy").GetString() == "test-admin");

        var delete = await admin.DeleteAsync("/api/v1/admin/targets/van-lam/dt-budget-share", Cancel);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        await screen.Updates.First(u => u.Id == "van-lam" && u.BelowTarget == 0, mark);
    }

    [Theory]
    [InlineData("{}", "body")]
    [InlineData("""{"target":{"value":2}}""", "target.direction")]
    [InlineData("""{"target":{"direction":"more","value":2}}""", "target.direction")]
    [InlineData("""{"target":{"direction":"atLeast"}}""", "target.value")]
    [InlineData("""{"target":{"direction":"atLeast","value":"NaN"}}""", "target.value")]
    [InlineData("""{"thresholds":{"direction":"atMost"}}""", "thresholds")]
    [InlineData("""{"thresholds":{"direction":"atMost","warning":80,"critical":60}}""", "thresholds")]
    public async Task An_invalid_change_is_refused_with_a_problem_naming_the_field_and_nothing_changes(string body, string field)
    {
        var admin = hub.CreatePersonClient(HubRoles.Admin);
        var before = await admin.GetStringAsync("/api/v1/admin/targets/audit", Cancel);

        var response = await admin.PutAsync("/api/v1/admin/targets/yen-my-air-1/pm25", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Equal(before, await admin.GetStringAsync("/api/v1/admin/targets/audit", Cancel));
    }

    [Theory]
    [InlineData("/api/v1/admin/targets/nowhere/pm25", HttpStatusCode.NotFound, "nowhere")]
    [InlineData("/api/v1/admin/targets/van-lam/pm10", HttpStatusCode.NotFound, "pm10")]
    [InlineData("/api/v1/admin/targets/so-noi-vu/pm25", HttpStatusCode.BadRequest, "so-noi-vu")]
    public async Task A_change_for_an_unknown_entity_or_metric_or_one_nothing_there_reports_is_refused(string path, HttpStatusCode status, string named)
    {
        var response = await hub.CreatePersonClient(HubRoles.Admin).PutAsJsonAsync(path, new { target = new { direction = "atMost", value = 40 } }, Cancel);
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(named, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_a_400_not_a_500()
    {
        var response = await hub.CreatePersonClient(HubRoles.Admin).PutAsync("/api/v1/admin/targets/van-lam/pm25",
            new StringContent("{target:", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
