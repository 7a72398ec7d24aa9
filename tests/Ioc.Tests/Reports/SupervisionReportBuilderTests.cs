using Ioc.Contracts.Supervision;

namespace Ioc.Tests.Reports;

/// <summary>Report assembly on given inputs, without a hub: which alerts belong to the report, and what the letter covers for a scope.</summary>
public sealed class SupervisionReportBuilderTests
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);
    private static readonly Contracts.Catalog Catalog = Infrastructure.HubCluster.SeededCatalog();
    private static readonly SupervisionPeriod November = SupervisionPeriod.TryParse("2026-11", out var p) ? p : default;
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, Vietnam);

    private static Alert Raised(string unit, DateTimeOffset at, TimeSpan? acknowledgedAfter) => new(
        $"{unit}.{at.Ticks % 1000}", unit, Catalog.Entity(unit).Name, "pm25", "Bụi mịn PM2.5", AlertSeverity.Critical,
        acknowledgedAfter is null ? AlertState.Active : AlertState.Acknowledged, 91.5, 75, at,
        acknowledgedAfter is null ? null : "giám sát viên", at + acknowledgedAfter, null, false, null, 1);

    private static SupervisionReport Build(string scope, params Alert[] alerts) => SupervisionReportBuilder.Build(
        Catalog, Catalog.Entity(scope), November, Now, new Dictionary<(string, string), IReadOnlyList<DatedValue>>(),
        (_, metric) => Catalog.Metric(metric).Target, alerts, []);

    [Fact]
    public void Only_alerts_raised_in_the_period_at_units_under_the_scope_are_reported_with_their_waits()
    {
        var start = November.Start;
        var report = Build("van-lam",
            Raised("van-lam-air-1", start.AddTicks(-1), TimeSpan.FromMinutes(1)),
            Raised("van-lam-air-1", start, TimeSpan.FromMinutes(4)),
            Raised("van-lam-water-1", start.AddDays(3), TimeSpan.FromMinutes(30)),
            Raised("van-lam-camera-1", start.AddDays(4), null),
            Raised("van-lam-air-1", November.End.AddTicks(-1), TimeSpan.FromMinutes(10)),
            Raised("van-lam-air-1", November.End, TimeSpan.FromMinutes(2)),
            Raised("yen-my-air-1", start.AddDays(1), TimeSpan.FromMinutes(1)));

        Assert.Equal([start, start.AddDays(3), start.AddDays(4), November.End.AddTicks(-1)], report.Alerts.Items.Select(a => a.RaisedAt));
        Assert.Equal([4, 30, (double?)null, 10], report.Alerts.Items.Select(a => a.MinutesToAcknowledge));
        Assert.Equal((4, 3, 10.0, 30.0), (report.Alerts.Raised, report.Alerts.Acknowledged, report.Alerts.MedianMinutesToAcknowledge, report.Alerts.MaxMinutesToAcknowledge));
    }

    [Fact]
    public void With_no_history_nothing_is_below_target_every_due_report_is_missing_and_the_letter_says_not_reported()
    {
        var report = Build("so-noi-vu");

        Assert.Empty(report.BelowTarget);
        Assert.All(report.Indicators, i => Assert.Equal((null, null, 0), (i.Value, i.Achieved, i.UnitsReporting)));
        var office = Assert.Single(report.Compliance);
        Assert.Equal("so-noi-vu-office", office.Unit);
        Assert.All(office.Indicators, m => Assert.Equal(m.Due, m.Missing));
        Assert.Contains(office.Indicators, m => m.Schedule == ReportingPeriodKind.Daily && m.Due == 30);
        var letter = Assert.Single(report.Letter);
        Assert.Equal("so-noi-vu", letter.Entity);
        Assert.All(letter.Indicators, i => Assert.Contains("chưa báo cáo trong kỳ", i.Statement));
        Assert.Equal(new ReportPeriod("2026-10", SupervisionPeriodKind.Month, "tháng 10/2026", new DateTimeOffset(2026, 10, 1, 0, 0, 0, Vietnam), November.Start), report.PreviousPeriod);
    }
}
