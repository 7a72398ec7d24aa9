using System.Globalization;

namespace Ioc.Tests.Targets;

/// <summary>
/// What supervisors read and export: the indicators below target under a scope, the ones not yet
/// reported this period, and the counts every snapshot carries for the wall.
/// </summary>
public sealed class LowAchievementApiTests(HubFactory hub) : IClassFixture<HubFactory>, IAsyncLifetime
{
    // Whole seconds, because the export shows seconds; the same for every test, which all report it again.
    private static readonly DateTimeOffset Measured = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60);

    /// <summary>Yên Mỹ's People's Committee reports a budget share of 0.8% and no IT-degree official; both miss the letter's targets.</summary>
    public async ValueTask InitializeAsync()
    {
        await using var screen = await Screen.Connect(hub);
        await screen.Subscribe("yen-my-ubnd");
        var locality = await screen.Subscribe("yen-my");
        var province = await screen.Subscribe("hung-yen");
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[]
            {
                new { unit = "yen-my-ubnd", metric = "dt-budget-share", value = 0.8, ts = Measured },
                new { unit = "yen-my-ubnd", metric = "it-officials", value = 0.0, ts = Measured },
            },
        }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await screen.Updates.First(u => u.Id == "yen-my-ubnd" && u.BelowTarget == 2);
        // Roll-ups report up a moment after their units: the tests read them once they have.
        if (locality.BelowTarget != 2)
            await screen.Updates.First(u => u.Id == "yen-my" && u.BelowTarget == 2);
        if (province.BelowTarget < 2)
            await screen.Updates.First(u => u.Id == "hung-yen" && u.BelowTarget >= 2);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_export_is_UTF8_with_a_BOM_a_header_comma_separated_fields_decimal_points_and_CRLF_line_ends()
    {
        var since = Measured.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:ss'+07:00'", CultureInfo.InvariantCulture);
        var expected = Encoding.UTF8.GetBytes(
            "\uFEFF" +
            "unit,unitName,locality,localityName,metric,metricName,unitOfMeasure,value,target,direction,gap,since,timestamp\r\n" +
            $"yen-my-ubnd,UBND huyện Yên Mỹ,yen-my,Yên Mỹ,dt-budget-share,Tỷ lệ chi ngân sách cho chuyển đổi số,%,0.8,1,atLeast,0.2,{since},{since}\r\n" +
            $"yen-my-ubnd,UBND huyện Yên Mỹ,yen-my,Yên Mỹ,it-officials,Cán bộ chuyên trách CĐS có trình độ đại học CNTT,người,0,1,atLeast,1,{since},{since}\r\n");
        var supervisor = hub.CreatePersonClient(HubRoles.Supervisor);

        var response = await supervisor.GetAsync("/api/v1/low-achievement.csv?scope=yen-my-ubnd", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("low-achievement-yen-my-ubnd-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancel);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(bytes));
        Assert.Equal(expected, bytes);
        Assert.Equal(expected, await supervisor.GetByteArrayAsync("/api/v1/low-achievement?scope=yen-my-ubnd&format=csv", Cancel));
    }

    [Fact]
    public async Task The_list_for_a_locality_gives_each_indicator_below_target_with_its_gap_and_since_when()
    {
        var list = await hub.CreatePersonClient(HubRoles.Supervisor).GetFromJsonAsync<JsonElement[]>("/api/v1/low-achievement?scope=yen-my", Cancel);

        var budget = Assert.Single(list!, l => l.GetProperty("metric").GetString() == "dt-budget-share");
        Assert.Equal(("yen-my-ubnd", "UBND huyện Yên Mỹ", "yen-my", "Tỷ lệ chi ngân sách cho chuyển đổi số", 0.8, 1.0, "atLeast", 0.2), (
            budget.GetProperty("unit").GetString(), budget.GetProperty("unitName").GetString(), budget.GetProperty("locality").GetString(),
            budget.GetProperty("metricName").GetString(), budget.GetProperty("value").GetDouble(), budget.GetProperty("target").GetDouble(),
            budget.GetProperty("direction").GetString(), budget.GetProperty("gap").GetDouble()));
        Assert.Equal(Measured, budget.GetProperty("since").GetDateTimeOffset());
        Assert.Contains(list!, l => l.GetProperty("metric").GetString() == "it-officials");
    }

    [Fact]
    public async Task Snapshots_carry_the_counts_of_indicators_below_target_and_not_reported_for_the_wall()
    {
        var operatorClient = hub.CreatePersonClient(HubRoles.Operator);
        var locality = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/entities/yen-my", Cancel);
        var province = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/entities/hung-yen", Cancel);

        Assert.Equal(2, locality.GetProperty("belowTarget").GetInt32());
        Assert.True(province.GetProperty("belowTarget").GetInt32() >= 2);
        // Yên Mỹ's committee has five of its seven indicators still to report, its service point its one.
        Assert.Equal(6, locality.GetProperty("notReported").GetInt32());
    }

    [Fact]
    public async Task Compliance_lists_the_indicators_not_reported_this_period_including_units_never_heard_from()
    {
        var missing = await hub.CreatePersonClient(HubRoles.Supervisor).GetFromJsonAsync<JsonElement[]>("/api/v1/compliance?scope=yen-my", Cancel);

        var service = Assert.Single(missing!, m => m.GetProperty("unit").GetString() == "yen-my-service-1");
        Assert.Equal(("online-dossier-share", "daily", JsonValueKind.Null), (
            service.GetProperty("metric").GetString(), service.GetProperty("period").GetString(), service.GetProperty("lastReported").ValueKind));
        Assert.Equal(
            ["digitised-dossier-share", "eid-level2-share", "online-dossier-share", "online-payment-share", "village-tech-team-share"],
            missing!.Where(m => m.GetProperty("unit").GetString() == "yen-my-ubnd").Select(m => m.GetProperty("metric").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/low-achievement?scope=atlantis")]
    [InlineData("/api/v1/low-achievement?format=xlsx")]
    [InlineData("/api/v1/low-achievement.csv?scope=atlantis")]
    [InlineData("/api/v1/compliance?scope=atlantis")]
    public async Task An_unknown_scope_or_format_is_a_400_problem(string path)
    {
        await (await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync(path, Cancel)).Problem(HttpStatusCode.BadRequest);
    }
}
