namespace Ioc.Tests.Targets;

/// <summary>Indicators reported on a schedule fall due again at each period's start, on Vietnam's calendar.</summary>
[Collection(TargetsCluster.Name)]
public sealed class ComplianceTests(TargetsClusterFixture fixture)
{
    private static readonly string[] Daily = ["digitised-dossier-share", "eid-level2-share", "online-dossier-share", "online-payment-share"];
    private static readonly string[] Monthly = ["dt-budget-share", "it-officials", "village-tech-team-share"];

    private HubCluster Hub => fixture.Cluster;

    [Fact]
    public async Task A_daily_indicator_reported_today_is_due_again_at_midnight_Vietnam_time_and_its_locality_counts_it()
    {
        var unit = Hub.Client.GetGrain<IUnitGrain>("phu-cu-ubnd");
        var before = Hub.Feed.Mark();
        var reported = Hub.Time.GetUtcNow();
        await Hub.Report("phu-cu-ubnd", [.. Daily.Concat(Monthly).Select(m => (m, 100.0))]);

        Assert.Empty((await unit.GetStanding()).NotReported);
        // The service point's daily dossier share has never been reported: it counts from the start.
        await Hub.Feed.Update(u => u.Id == "phu-cu" && u.NotReported == 1, before);

        var local = Hub.Time.GetUtcNow().ToOffset(TimeSpan.FromHours(7));
        var midnight = new DateTimeOffset(local.Date.AddDays(1), TimeSpan.FromHours(7));
        Assert.True(midnight.Day != 1, "the test expects a day, not a month, to turn over");
        await Hub.Advance(midnight - Hub.Time.GetUtcNow() - TimeSpan.FromMinutes(1));
        Assert.Empty((await unit.GetStanding()).NotReported);

        var turned = Hub.Feed.Mark();
        await Hub.Advance(TimeSpan.FromMinutes(1));

        var missing = (await unit.GetStanding()).NotReported;
        Assert.Equal(Daily, missing.Select(m => m.Metric).Order(StringComparer.Ordinal));
        Assert.All(missing, m => Assert.Equal((ReportingPeriodKind.Daily, midnight, (DateTimeOffset?)reported), (m.Period, m.PeriodStart, m.LastReported)));
        Assert.All(missing, m => Assert.Equal(("phu-cu", "Phù Cừ"), (m.Locality, m.LocalityName)));
        await Hub.Feed.Update(u => u.Id == "phu-cu" && u.NotReported == 1 + Daily.Length, turned);
    }

    [Theory]
    [InlineData("2026-03-14T16:59:59Z", ReportingPeriodKind.Daily, "2026-03-14T00:00:00+07:00")]
    [InlineData("2026-03-14T17:00:00Z", ReportingPeriodKind.Daily, "2026-03-15T00:00:00+07:00")]
    [InlineData("2026-03-31T17:00:00Z", ReportingPeriodKind.Monthly, "2026-04-01T00:00:00+07:00")]
    [InlineData("2026-03-31T16:59:59Z", ReportingPeriodKind.Monthly, "2026-03-01T00:00:00+07:00")]
    public void A_period_starts_at_midnight_in_Vietnam_not_in_UTC(string now, ReportingPeriodKind kind, string start) =>
        Assert.Equal(DateTimeOffset.Parse(start), ReportingPeriod.StartOf(kind, DateTimeOffset.Parse(now)));
}
