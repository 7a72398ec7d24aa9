namespace Ioc.Tests.Alerts;

/// <summary>Alerts end to end: telemetry raises them, the wall's ticker receives them, supervisors acknowledge them over HTTP.</summary>
public sealed class AlertApiTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private Task<HttpResponseMessage> Report(string unit, string metric, double value) => AlertScenario.Report(hub, unit, metric, value);

    [Fact]
    public async Task A_breach_reaches_the_ticker_a_supervisor_acknowledges_it_with_a_comment_and_it_clears_when_the_air_recovers()
    {
        await using var ticker = await Screen.Connect(hub);
        Assert.DoesNotContain(await ticker.SubscribeAlerts(), a => a.GetProperty("entity").GetString() == "khoai-chau-air-1");

        Assert.Equal(HttpStatusCode.Accepted, (await Report("khoai-chau-air-1", "pm25", 91.5)).StatusCode);

        var raised = await ticker.Alerts.First(a => a.GetProperty("entity").GetString() == "khoai-chau-air-1");
        // The wall page reads exactly these fields.
        foreach (var field in new[] { "id", "entity", "entityName", "metric", "severity", "state", "value", "threshold", "raisedAt", "acknowledgedBy", "acknowledgedAt", "comment", "escalated" })
            Assert.True(raised.TryGetProperty(field, out _), $"the alert frame lacks '{field}': {raised.GetRawText()}");
        Assert.Equal(("critical", "active", "pm25", 91.5, 75.0, false), (
            raised.GetProperty("severity").GetString(), raised.GetProperty("state").GetString(), raised.GetProperty("metric").GetString(),
            raised.GetProperty("value").GetDouble(), raised.GetProperty("threshold").GetDouble(), raised.GetProperty("escalated").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, raised.GetProperty("acknowledgedBy").ValueKind);
        var id = raised.GetProperty("id").GetString()!;

        var listed = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=khoai-chau&state=active", Screen.Json, Cancel);
        Assert.Contains(listed!, a => a.Id == id);
        Assert.DoesNotContain((await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=van-lam", Screen.Json, Cancel))!,
            a => a.Id == id);

        var byOperator = await hub.CreatePersonClient(HubRoles.Operator).PostAsJsonAsync($"/api/v1/alerts/{id}/ack", new { comment = "tôi xem rồi" }, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, byOperator.StatusCode);

        var supervisor = hub.CreatePersonClient(HubRoles.Supervisor);
        var ack = await supervisor.PostAsJsonAsync($"/api/v1/alerts/{id}/ack", new { comment = "Đã liên hệ Sở TN&MT" }, Cancel);
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acknowledged = await ack.Content.ReadFromJsonAsync<Alert>(Screen.Json, Cancel);
        Assert.Equal((AlertState.Acknowledged, "test-supervisor", "Đã liên hệ Sở TN&MT"), (acknowledged!.State, acknowledged.AcknowledgedBy, acknowledged.Comment));
        var onTicker = await ticker.Alerts.First(a => a.GetProperty("id").GetString() == id && a.GetProperty("state").GetString() == "acknowledged");
        Assert.Equal("test-supervisor", onTicker.GetProperty("acknowledgedBy").GetString());

        var again = await supervisor.PostAsJsonAsync($"/api/v1/alerts/{id}/ack", new { comment = "lần nữa" }, Cancel);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        await Report("khoai-chau-air-1", "pm25", 22);
        await ticker.Alerts.First(a => a.GetProperty("id").GetString() == id && a.GetProperty("state").GetString() == "cleared");
        Assert.DoesNotContain(await ticker.SubscribeAlerts(), a => a.GetProperty("id").GetString() == id);

        var detail = await supervisor.GetFromJsonAsync<AlertDetail>($"/api/v1/alerts/{id}", Screen.Json, Cancel);
        Assert.Equal(
            [(AlertAction.Raised, "system", (string?)null), (AlertAction.Acknowledged, "test-supervisor", "Đã liên hệ Sở TN&MT"), (AlertAction.Cleared, "system", "the value is back within its thresholds")],
            detail!.Trail.Select(e => (e.Action, e.By, e.Comment)));
    }

    [Theory]
    [InlineData("/api/v1/alerts?state=open", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?state=1", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?state=active,acknowledged", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?scope=atlantis", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?limit=10001", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts?limit=many", HttpStatusCode.BadRequest)]
    [InlineData("/api/v1/alerts/not-an-alert", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/alerts/atlantis.1", HttpStatusCode.NotFound)]
    public async Task Bad_alert_queries_get_a_problem_not_a_500(string path, HttpStatusCode status)
    {
        await (await hub.CreatePersonClient(HubRoles.Operator).GetAsync(path, Cancel)).Problem(status);
    }

    [Fact]
    public async Task A_limited_list_is_the_newest_of_the_whole_list()
    {
        await AlertScenario.RaiseTwo(hub, "phu-cu");
        var operatorClient = hub.CreatePersonClient(HubRoles.Operator);
        var all = await operatorClient.GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=phu-cu", Screen.Json, Cancel);
        Assert.True(all!.Length >= 2, $"{all.Length} alerts under phu-cu");
        var newest = await operatorClient.GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=phu-cu&limit=1", Screen.Json, Cancel);
        Assert.Equal([all[0].Id], newest!.Select(a => a.Id));
    }

    [Fact]
    public async Task An_overlong_comment_is_refused()
    {
        var response = await hub.CreatePersonClient(HubRoles.Supervisor).PostAsJsonAsync("/api/v1/alerts/van-lam-air-1.1/ack",
            new { comment = new string('x', 2001) }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
