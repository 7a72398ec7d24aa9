using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Http;

public sealed class EntityEndpointTests(HubFactory hub) : IClassFixture<HubFactory>
{
    [Fact]
    public async Task The_tree_lists_every_entity_with_its_vietnamese_name_kind_parents_and_children()
    {
        var tree = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<JsonElement[]>("/api/v1/entities", Cancel);
        Assert.NotNull(tree);
        var province = tree.Single(e => e.GetProperty("id").GetString() == "hung-yen");
        Assert.Equal("province", province.GetProperty("kind").GetString());
        Assert.Equal("Hưng Yên", province.GetProperty("name").GetString());
        var children = province.GetProperty("children").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Contains("khoai-chau", children);
        Assert.Contains("de-an-06", children);

        var sensor = tree.Single(e => e.GetProperty("id").GetString() == "tp-hung-yen-traffic-1");
        var parents = sensor.GetProperty("parents").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(["tp-hung-yen", "ioc", "dtm-tp-hung-yen"], parents);
    }

    [Fact]
    public async Task The_metrics_name_their_roll_up_and_target_direction_as_camelCase_strings()
    {
        var metrics = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<JsonElement[]>("/api/v1/metrics", Cancel);
        var budget = metrics!.Single(m => m.GetProperty("id").GetString() == "dt-budget-share");
        Assert.Equal("average", budget.GetProperty("rollup").GetString());
        Assert.Equal("atLeast", budget.GetProperty("target").GetProperty("direction").GetString());
    }

    [Fact]
    public async Task A_snapshot_shows_a_units_latest_values_with_time_and_status()
    {
        var unit = hub.CreateUnitClient();
        var ts = DateTimeOffset.UtcNow.AddSeconds(-5);
        var accepted = await unit.PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = "an-thi-camera-1", metric = "camera-online-ratio", value = 70.5, ts } },
        }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        // The live path is asynchronous to the 202; a screen subscription is the signal that the value landed.
        await using var screen = hub.CreateLiveConnection();
        var landed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        screen.On<JsonElement[]>("update", _ => landed.TrySetResult());
        await screen.StartAsync(Cancel);
        var first = await screen.InvokeAsync<JsonElement>("Subscribe", "an-thi-camera-1", Cancel);
        if (first.GetProperty("metrics").GetArrayLength() == 0)
            await landed.Task.WaitAsync(TimeSpan.FromSeconds(20), Cancel);

        var snapshot = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<JsonElement>("/api/v1/entities/an-thi-camera-1", Cancel);
        var metric = snapshot.GetProperty("metrics").EnumerateArray().Single();
        Assert.Equal("camera-online-ratio", metric.GetProperty("metric").GetString());
        Assert.Equal(70.5, metric.GetProperty("value").GetDouble());
        Assert.Equal("critical", metric.GetProperty("status").GetString());
        Assert.Equal(ts, metric.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("critical", snapshot.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_locality_snapshot_counts_all_its_units()
    {
        var snapshot = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<JsonElement>("/api/v1/entities/phu-cu", Cancel);
        var units = snapshot.GetProperty("units");
        var byStatus = new[] { "ok", "belowTarget", "warning", "critical", "offline" }.Sum(s => units.GetProperty(s).GetInt32());
        Assert.Equal(6, byStatus);
        Assert.Equal(6, units.GetProperty("total").GetInt32());
        Assert.Equal(6, snapshot.GetProperty("children").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_entity_is_404_with_a_problem_naming_it()
    {
        var response = await hub.CreatePersonClient(HubRoles.Operator).GetAsync("/api/v1/entities/hai-duong", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Contains("'hai-duong'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Readiness_answers_once_the_silo_is_up_and_the_catalog_loaded()
    {
        var response = await hub.CreateClient().GetAsync("/health/ready", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hub.CreateClient().GetAsync("/health/live", Cancel)).StatusCode);
    }
}
