using Ioc.Tests.Storage;

namespace Ioc.Tests.Grains;

/// <summary>
/// What the one-command hub activates before it reports ready: the roll-ups and the units with something to
/// restore, not every unit of the catalog; and what a screen or a supervisor sees at that moment.
/// </summary>
public sealed class StartupTests
{
    private static readonly GrainType Unit = GrainType.Create("unit");

    [Fact]
    public async Task A_fresh_hub_is_ready_with_no_unit_active_and_counts_every_unit_offline_with_every_indicator_unreported()
    {
        await using var hub = new StorageHub(new Dictionary<string, string?>());
        var operatorClient = hub.CreatePersonClient(HubRoles.Operator);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/health/ready", Cancel)).StatusCode);
        var management = hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        Assert.Empty(await management.GetActiveGrains(Unit, Cancel));

        var catalog = hub.Services.GetRequiredService<Contracts.Catalog>();
        var units = catalog.Entities.Where(e => e.Kind == EntityKind.Unit).ToArray();
        var indicators = units.Sum(u => u.Metrics.Count(m => catalog.Metric(m).Indicator));
        var province = await operatorClient.GetFromJsonAsync<EntitySnapshot>($"/api/v1/entities/{catalog.Province.Id}", Json, Cancel);
        Assert.Equal((units.Length, units.Length, indicators), (province!.Units.Offline, province.Units.Total, province.NotReported));
        Assert.Empty(await management.GetActiveGrains(Unit, Cancel));

        // The list names each of them, as the counts do; asking for it is what first wakes the units.
        var missing = await operatorClient.GetFromJsonAsync<JsonElement[]>($"/api/v1/compliance?scope={catalog.Province.Id}", Cancel);
        Assert.Equal(indicators, missing!.Length);
        Assert.Equal(
            units.Where(u => u.Metrics.Any(m => catalog.Metric(m).Indicator)).Select(u => u.Id).Order(StringComparer.Ordinal),
            missing.Select(m => m.GetProperty("unit").GetString()!).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_restarted_hub_is_ready_with_exactly_the_units_that_have_state_to_restore_active()
    {
        using var data = new TempFolder("ioc-startup-");
        var settings = new Dictionary<string, string?> { ["Storage:DataDirectory"] = data };
        await using (var first = new StorageHub(settings))
        {
            // Stopping the hub deactivates the unit, which stores what it was told.
            await first.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitGrain>("van-lam-air-1")
                .Report([new MetricPoint("pm25", 12.5, DateTimeOffset.UtcNow)]);
        }

        await using var second = new StorageHub(settings);
        Assert.Equal(HttpStatusCode.OK, (await second.CreateClient().GetAsync("/health/ready", Cancel)).StatusCode);
        var active = await second.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetActiveGrains(Unit, Cancel);
        Assert.Equal(["van-lam-air-1"], active.Select(g => g.Key.ToString()));
    }

    [Fact]
    public async Task After_a_restart_a_locality_asks_the_alerts_with_anything_stored_to_resend_and_wakes_no_other_units_alerts()
    {
        using var data = new TempFolder("ioc-startup-");
        var settings = new Dictionary<string, string?> { ["Storage:DataDirectory"] = data, ["Hub:RollupResendDelay"] = "00:00:00" };
        await using (var first = new StorageHub(settings))
        {
            var grains = first.Services.GetRequiredService<IGrainFactory>();
            // A unit with a value stored and nothing breached, and one of the same locality with an alert stored.
            await grains.GetGrain<IUnitGrain>("van-lam-air-1").Report([new MetricPoint("pm25", 12.5, DateTimeOffset.UtcNow)]);
            await grains.GetGrain<IAlertsGrain>("van-lam-water-1").Observe([new AlertCondition("water-level", AlertSeverity.Critical, 4.2, 3.5)]);
        }

        await using var second = new StorageHub(settings);
        Assert.Equal(HttpStatusCode.OK, (await second.CreateClient().GetAsync("/health/ready", Cancel)).StatusCode);
        var management = second.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var alerts = GrainType.Create("alerts");
        // The locality's resend wakes the alerts that hold something; they rebuild its index.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        List<string> active;
        while (!(active = [.. (await management.GetActiveGrains(alerts, bound.Token)).Select(g => g.Key.ToString()!)]).Contains("van-lam-water-1"))
            await Task.Delay(50, bound.Token);
        Assert.Equal(["van-lam-water-1"], active);
    }

    [Fact]
    public async Task The_first_read_of_the_province_alerts_on_a_fresh_hub_wakes_no_alerts_grain_and_shows_an_alert_raised_after_it()
    {
        await using var hub = new StorageHub(new Dictionary<string, string?>());
        var operatorClient = hub.CreatePersonClient(HubRoles.Operator);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/health/ready", Cancel)).StatusCode);
        var grains = hub.Services.GetRequiredService<IGrainFactory>();
        var province = hub.Services.GetRequiredService<Contracts.Catalog>().Province.Id;

        Assert.Empty(await operatorClient.GetFromJsonAsync<Alert[]>($"/api/v1/alerts?scope={province}", Json, Cancel) ?? []);
        Assert.Empty(await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(GrainType.Create("alerts"), Cancel));

        // Observe answers once the indexes have the change.
        await grains.GetGrain<IAlertsGrain>("khoai-chau-air-1").Observe([new AlertCondition("pm25", AlertSeverity.Critical, 91.5, 75)]);
        var alerts = await operatorClient.GetFromJsonAsync<Alert[]>($"/api/v1/alerts?scope={province}", Json, Cancel);
        Assert.Equal([("khoai-chau-air-1", "pm25", AlertSeverity.Critical)], alerts!.Select(a => (a.Entity, a.Metric, a.Severity)));
    }

    private static readonly JsonSerializerOptions Json = JsonFor();

    private static JsonSerializerOptions JsonFor()
    {
        var json = new JsonSerializerOptions();
        ServiceDefaultsExtensions.Configure(json);
        return json;
    }
}
