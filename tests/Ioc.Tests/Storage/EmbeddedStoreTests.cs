using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Storage;

public sealed class EmbeddedStoreTests
{
    [Fact]
    public async Task History_from_the_embedded_store_aggregates_a_unit_a_locality_a_project_and_the_province_by_step()
    {
        await using var hub = new StorageHub(new Dictionary<string, string?>());
        var end = StorageScenario.RecentEnd();
        var points = StorageScenario.AirQuality(end);
        await StorageScenario.Push(hub.CreateUnitClient(), points, 25, Cancel);
        await hub.Drained(Cancel);

        var catalog = hub.Services.GetRequiredService<Contracts.Catalog>();
        foreach (var entity in new[] { "van-lam-air-1", "van-lam", "dtm-tp-hung-yen", "hung-yen" })
        foreach (var (from, to, step) in StorageScenario.Ranges(end))
        foreach (var agg in StorageScenario.Aggregates)
        {
            var answer = await StorageScenario.History(hub, entity, "pm25", from, to, step, agg, Cancel);
            Assert.Equal((entity, "pm25", agg, from, to, (long)step.TotalSeconds), (answer.Entity, answer.Metric, answer.Agg, answer.From, answer.To, answer.StepSeconds));
            var expected = StorageScenario.Expected(points, catalog, entity, "pm25", from, to, step, agg);
            Assert.NotEmpty(expected);
            StorageScenario.SameSteps(expected, answer.Points, $"{agg} of {entity} from {from:HH:mm} by {step}");
        }
    }

    [Fact]
    public async Task Restarting_the_one_command_hub_shows_the_same_latest_values_it_had_before()
    {
        using var data = new TempFolder("ioc-restart-");
        var settings = new Dictionary<string, string?> { ["Storage:DataDirectory"] = data };
        var reading = new Pushed("van-lam-air-1", "pm25", 42.75, DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        await using (var first = new StorageHub(settings))
        {
            var updates = Channel.CreateUnbounded<EntityUpdate>();
            await using var screen = first.CreateLiveConnection();
            screen.On<EntityUpdate[]>("update", frame => { foreach (var u in frame) updates.Writer.TryWrite(u); });
            await screen.StartAsync(Cancel);
            await screen.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam-air-1", Cancel);
            await StorageScenario.Push(first.CreateUnitClient(), [reading], 1, Cancel);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await foreach (var update in updates.Reader.ReadAllAsync(timeout.Token))
                if (update.Metrics.Any(m => m.Metric == "pm25" && m.Value == reading.Value)) break;
        }

        await using var second = new StorageHub(settings);
        var json = new System.Text.Json.JsonSerializerOptions();
        ServiceDefaultsExtensions.Configure(json);
        var snapshot = await second.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<EntitySnapshot>("/api/v1/entities/van-lam-air-1", json, Cancel);
        var pm25 = Assert.Single(snapshot!.Metrics, m => m.Metric == "pm25");
        Assert.Equal((reading.Value, reading.Ts), (pm25.Value, pm25.Timestamp));
    }
}

public sealed class HistoryApiTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private const string Path = "/api/v1/entities/van-lam/metrics/pm25/history";

    [Fact]
    public async Task History_exports_as_UTF8_CSV_with_a_BOM_one_row_per_step_and_the_same_checks_as_the_API()
    {
        var supervisor = hub.CreatePersonClient(HubRoles.Supervisor);
        var to = DateTimeOffset.UtcNow;
        var query = $"from={to.AddMinutes(-10).ToUnixTimeSeconds()}&to={to.ToUnixTimeSeconds()}&step=1m&agg=max";

        var response = await supervisor.GetAsync($"/api/v1/entities/van-lam/metrics/pm25/history.csv?{query}", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("van-lam-pm25-history.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancel);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("entity,entityName,metric,metricName,unitOfMeasure,time,value", lines[0]);
        var json = await supervisor.GetFromJsonAsync<JsonElement>($"{Path}?{query}", Cancel);
        Assert.Equal(json.GetProperty("points").GetArrayLength(), lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("van-lam,Văn Lâm,pm25,Bụi mịn PM2.5,µg/m³,", l));

        Assert.Equal(HttpStatusCode.Forbidden, (await hub.CreatePersonClient(HubRoles.Operator).GetAsync($"/api/v1/entities/van-lam/metrics/pm25/history.csv", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await supervisor.GetAsync($"/api/v1/entities/van-lam/metrics/pm25/history.csv?agg=median", Cancel)).StatusCode);
    }

    [Fact]
    public async Task History_is_for_supervisors_an_operator_gets_403_and_no_token_401()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.CreatePersonClient(HubRoles.Operator).GetAsync(Path, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.CreateClient().GetAsync(Path, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hub.CreatePersonClient(HubRoles.Admin).GetAsync(Path, Cancel)).StatusCode);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-45T00:00:00Z", "to")]
    [InlineData("from=2026-11-27T10:00:00Z&to=2026-11-27T09:00:00Z", "from")]
    [InlineData("from=2026-11-27T10:00:00Z&to=2026-11-27T10:00:00Z", "from")]
    [InlineData("step=0", "step")]
    [InlineData("step=-5", "step")]
    [InlineData("step=1.5", "step")]
    [InlineData("step=fortnight", "step")]
    [InlineData("step=PT0.5S", "step")]
    [InlineData("agg=median", "agg")]
    [InlineData("agg=3", "agg")]
    [InlineData("from=2026-11-01T00:00:00Z&to=2026-11-27T00:00:00Z&step=60", "step")]
    public async Task A_bad_range_step_or_aggregate_is_a_400_that_names_the_parameter(string query, string parameter)
    {
        var problem = await (await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync($"{Path}?{query}", Cancel)).Problem(HttpStatusCode.BadRequest);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(parameter, problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("/api/v1/entities/atlantis/metrics/pm25/history")]
    [InlineData("/api/v1/entities/van-lam/metrics/rainfall/history")]
    [InlineData("/api/v1/entities/so-noi-vu/metrics/pm25/history")]
    [InlineData("/api/v1/entities/van-lam-air-1/metrics/vehicle-count/history")]
    public async Task An_unknown_entity_or_a_metric_nobody_under_it_reports_is_a_404(string path)
    {
        var response = await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync(path, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Without_parameters_history_covers_the_last_day_by_avg_in_a_few_hundred_steps()
    {
        var answer = await hub.CreatePersonClient(HubRoles.Supervisor).GetFromJsonAsync<HistoryAnswer>(Path, Cancel);
        Assert.Equal("avg", answer!.Agg);
        Assert.Equal(TimeSpan.FromHours(24), answer.To - answer.From);
        Assert.Equal(300, answer.StepSeconds);
    }

    [Fact]
    public async Task Readiness_shows_the_buffer_and_the_store()
    {
        var response = await hub.CreateClient().GetAsync("/health/ready", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancel);
        var check = body.GetProperty("checks").GetProperty(BufferExtensions.HealthCheckName);
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal(0, check.GetProperty("data").GetProperty("bufferedPoints").GetInt64());
        Assert.Contains("embedded store", check.GetProperty("data").GetProperty("store").GetString());
    }
}
