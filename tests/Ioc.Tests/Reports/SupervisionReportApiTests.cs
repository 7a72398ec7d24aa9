using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Ioc.Contracts.Supervision;
using Ioc.Tests.Storage;

namespace Ioc.Tests.Reports;

/// <summary>The one-command hub on the embedded store, taking points up to two years old so that past periods can be written.</summary>
public sealed class ReportHub : HubFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Ingest:MaxPointAge"] = "800.00:00:00" };

    /// <summary>The month before last: wholly in the past, whatever today is.</summary>
    public static SupervisionPeriod Month => SupervisionPeriod.Containing(SupervisionPeriodKind.Month, DateTimeOffset.UtcNow).Previous.Previous;

    /// <summary>Nine in the morning, Vietnam time, on <paramref name="day"/> of <paramref name="month"/>.</summary>
    public static DateTimeOffset On(SupervisionPeriod month, int day) => month.Start.AddDays(day - 1).AddHours(9);

    /// <summary>
    /// Văn Giang's People's Committee: budget share met four months back, then below for three months
    /// (0.5, 0.9, 0.87 %) and no IT-degree official; Văn Lâm's meets both; the Department of Information and
    /// Communications meets both; Văn Giang's one-stop shop reports its online share every day but the 3rd to 5th.
    /// </summary>
    public static List<Pushed> Scenario(SupervisionPeriod month)
    {
        var before = month.Previous;
        List<Pushed> points =
        [
            new("van-giang-ubnd", "dt-budget-share", 1.2, On(before.Previous.Previous, 5)),
            new("van-giang-ubnd", "dt-budget-share", 0.5, On(before.Previous, 5)),
            new("van-giang-ubnd", "dt-budget-share", 0.9, On(before, 5)),
            new("van-giang-ubnd", "dt-budget-share", 0.87, On(month, 5)),
            new("van-giang-ubnd", "it-officials", 0, On(month, 6)),
            new("van-lam-ubnd", "dt-budget-share", 1.1, On(before, 5)),
            new("van-lam-ubnd", "dt-budget-share", 1.3, On(month, 5)),
            new("van-lam-ubnd", "it-officials", 2, On(month, 6)),
            new("so-tttt-office", "dt-budget-share", 1.5, On(month, 5)),
            new("so-tttt-office", "it-officials", 3, On(month, 6)),
        ];
        var days = (int)(month.End - month.Start).TotalDays;
        points.AddRange(Enumerable.Range(1, days).Where(d => d is < 3 or > 5).Select(d => new Pushed("van-giang-service-1", "online-dossier-share", 60, On(month, d))));
        return points;
    }
}

/// <summary>The supervision report as JSON and as a workbook, from points written into past periods.</summary>
public sealed class SupervisionReportApiTests(ReportHub hub) : IClassFixture<ReportHub>, IAsyncLifetime
{
    private static readonly SupervisionPeriod Month = ReportHub.Month;

    public async ValueTask InitializeAsync()
    {
        await StorageScenario.Push(hub.CreateUnitClient(), ReportHub.Scenario(Month), 50, Cancel);
        var buffer = hub.Services.GetRequiredService<Ioc.TimeSeries.WriteAheadLog>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await buffer.WhenConfirmed(buffer.DurableEnd, timeout.Token);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<SupervisionReport?> Report(string scope, SupervisionPeriod period) =>
        hub.CreatePersonClient(HubRoles.Supervisor).GetFromJsonAsync<SupervisionReport>($"/api/v1/reports/supervision?scope={scope}&period={period}", Screen.Json, Cancel);

    [Fact]
    public async Task A_past_months_report_gives_each_indicator_against_its_target_and_the_change_from_the_month_before()
    {
        var report = (await Report("van-giang", Month))!;

        Assert.Equal((Month.ToString(), Month.Previous.ToString(), "van-giang"), (report.Period.Id, report.PreviousPeriod.Id, report.Scope.Id));
        Assert.Equal(Month.Start, report.Period.Start);
        var share = Assert.Single(report.Indicators, i => i.Metric == "dt-budget-share");
        Assert.Equal((0.87, 0.9, -0.03, false, 1, 1, 1), (share.Value, share.PreviousValue, share.Change, share.Achieved, share.Units, share.UnitsReporting, share.UnitsBelow));
        Assert.Equal(new Target(TargetDirection.AtLeast, 1.0), share.Target);
        var officials = Assert.Single(report.Indicators, i => i.Metric == "it-officials");
        Assert.Equal((0.0, (double?)null, false), (officials.Value, officials.PreviousValue, officials.Achieved));
        var online = Assert.Single(report.Indicators, i => i.Metric == "online-dossier-share");
        Assert.Equal((60.0, 2, 1, 0, true), (online.Value, online.Units, online.UnitsReporting, online.UnitsBelow, online.Achieved));
    }

    [Fact]
    public async Task Every_indicator_below_target_comes_with_its_gap_and_how_long_it_has_been_below()
    {
        var report = (await Report("hung-yen", Month))!;

        Assert.Equal([("van-giang-ubnd", "dt-budget-share"), ("van-giang-ubnd", "it-officials")], report.BelowTarget.Select(b => (b.Unit, b.Metric)));
        var share = report.BelowTarget[0];
        Assert.Equal((0.87, 1.0, 0.13, "Văn Giang"), (share.Value, share.Target, share.Gap, share.LocalityName));
        // Below since the month the budget share first fell to 0.5 %, after being met the month before.
        Assert.Equal((ReportHub.On(Month.Previous.Previous, 1).AddHours(-9).AddDays(4), false), (share.Since, share.SinceAtLeast));
        Assert.Equal((int)(Month.End - share.Since).TotalDays, share.DaysBelow);
        var officials = report.BelowTarget[1];
        Assert.Equal((0.0, 1.0, ReportHub.On(Month, 6).AddHours(-9), true), (officials.Value, officials.Gap, officials.Since, officials.SinceAtLeast));
    }

    [Fact]
    public async Task Compliance_counts_the_days_and_months_each_unit_left_unreported_in_the_period()
    {
        var report = (await Report("van-giang", Month))!;
        var days = (int)(Month.End - Month.Start).TotalDays;

        var shop = Assert.Single(report.Compliance, c => c.Unit == "van-giang-service-1");
        var online = Assert.Single(shop.Indicators);
        Assert.Equal(("online-dossier-share", ReportingPeriodKind.Daily, days, 3, ReportHub.On(Month, 3).AddHours(-9)),
            (online.Metric, online.Schedule, online.Due, online.Missing, online.FirstMissing));
        var committee = Assert.Single(report.Compliance, c => c.Unit == "van-giang-ubnd");
        // It reported its two monthly indicators; its daily ones and the village teams' share are missing.
        Assert.DoesNotContain(committee.Indicators, m => m.Metric is "dt-budget-share" or "it-officials");
        Assert.Contains(committee.Indicators, m => m.Metric == "village-tech-team-share" && m.Due == 1 && m.Missing == 1 && m.LastReported is null);
        Assert.Contains(committee.Indicators, m => m.Metric == "online-dossier-share" && m.Missing == days);
        Assert.DoesNotContain(report.Compliance, c => c.Unit == "van-giang-air-1");
    }

    [Fact]
    public async Task The_letters_staffing_and_budget_indicators_are_stated_per_locality_and_department()
    {
        var report = (await Report("hung-yen", Month))!;

        Assert.Equal(10 + 5, report.Letter.Length);
        var vanGiang = Assert.Single(report.Letter, l => l.Entity == "van-giang");
        Assert.Equal(["Cán bộ chuyên trách CĐS có trình độ đại học CNTT: 0 người — chưa đạt (yêu cầu tối thiểu 1 người).",
                      "Tỷ lệ chi ngân sách cho chuyển đổi số: 0,87 % — chưa đạt (yêu cầu tối thiểu 1,0 %)."],
            vanGiang.Indicators.Select(i => i.Statement));
        var vanLam = Assert.Single(report.Letter, l => l.Entity == "van-lam");
        Assert.Equal([true, true], vanLam.Indicators.Select(i => i.Achieved));
        // The department's office sits in Hưng Yên city, but its officials are the department's.
        var department = Assert.Single(report.Letter, l => l.Entity == "so-tttt");
        Assert.Equal([3.0, 1.5], department.Indicators.Select(i => i.Value));
        var city = Assert.Single(report.Letter, l => l.Entity == "tp-hung-yen");
        Assert.All(city.Indicators, i => Assert.Null(i.Value));
        Assert.Contains("chưa báo cáo trong kỳ", city.Indicators[0].Statement);
    }

    [Fact]
    public async Task A_quarter_and_a_year_take_the_last_value_in_them_and_compare_with_the_one_before()
    {
        var quarter = SupervisionPeriod.Containing(SupervisionPeriodKind.Quarter, Month.Start);
        var report = (await Report("van-giang-ubnd", quarter))!;
        var share = Assert.Single(report.Indicators, i => i.Metric == "dt-budget-share");
        Assert.Equal(0.87, share.Value);
        Assert.Equal(quarter.Previous.ToString(), report.PreviousPeriod.Id);

        var year = SupervisionPeriod.Containing(SupervisionPeriodKind.Year, Month.Start);
        var annual = (await Report("van-giang-ubnd", year))!;
        Assert.Equal(0.87, Assert.Single(annual.Indicators, i => i.Metric == "dt-budget-share").Value);
    }

    [Fact]
    public async Task An_alert_raised_in_the_period_shows_how_long_it_took_to_acknowledge_and_its_comment_cannot_become_a_formula()
    {
        await using var ticker = await Screen.Connect(hub);
        await ticker.SubscribeAlerts();
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry",
            new { points = new[] { new { unit = "kim-dong-air-1", metric = "pm25", value = 91.5, ts = DateTimeOffset.UtcNow } } }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var raised = await ticker.Alerts.First(a => a.GetProperty("entity").GetString() == "kim-dong-air-1");
        var id = raised.GetProperty("id").GetString()!;
        const string comment = "=HYPERLINK(\"http://x\",\"Đã xử lý\")";
        var ack = await hub.CreatePersonClient(HubRoles.Supervisor).PostAsJsonAsync($"/api/v1/alerts/{id}/ack", new { comment }, Cancel);
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);

        var now = SupervisionPeriod.Containing(SupervisionPeriodKind.Month, DateTimeOffset.UtcNow);
        var report = (await Report("kim-dong", now))!;
        var alert = Assert.Single(report.Alerts.Items, a => a.Id == id);
        Assert.Equal((AlertSeverity.Critical, "test-supervisor", comment), (alert.Severity, alert.AcknowledgedBy, alert.Comment));
        Assert.True(alert.MinutesToAcknowledge >= 0);
        Assert.Equal(alert.MinutesToAcknowledge, (alert.AcknowledgedAt!.Value - alert.RaisedAt).TotalMinutes);
        Assert.True(report.Alerts.Acknowledged >= 1);
        Assert.DoesNotContain((await Report("kim-dong", Month))!.Alerts.Items, a => a.Id == id);

        using var workbook = await Workbook("kim-dong", now);
        var rows = Rows(workbook, "Cảnh báo");
        var row = Assert.Single(rows, r => r.GetValueOrDefault("A") == id);
        Assert.Equal("'" + comment, row["J"]);
        Assert.Equal("Trạm quan trắc không khí Kim Động", row["C"]);
    }

    [Fact]
    public async Task The_workbook_has_a_sheet_per_section_with_Vietnamese_headings_and_numbers_as_numbers()
    {
        using var workbook = await Workbook("hung-yen", Month);

        // What Excel checks when it opens a file: the parts and elements the schema allows, in its order.
        Assert.Empty(new DocumentFormat.OpenXml.Validation.OpenXmlValidator().Validate(workbook, Cancel).Select(e => $"{e.Path?.XPath}: {e.Description}"));
        var sheets = workbook.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Select(s => s.Name!.Value).ToList();
        Assert.Equal(["Tổng quan", "Chỉ tiêu", "Chưa đạt", "Báo cáo thiếu", "Cán bộ và ngân sách", "Cảnh báo"], sheets);

        var indicators = Rows(workbook, "Chỉ tiêu");
        Assert.Equal(("Mã chỉ tiêu", "Tên chỉ tiêu", "Giá trị kỳ này", "Thay đổi", "Đánh giá"),
            (indicators[0]["A"], indicators[0]["B"], indicators[0]["F"], indicators[0]["H"], indicators[0]["I"]));
        var below = Rows(workbook, "Chưa đạt");
        var share = Assert.Single(below, r => r.GetValueOrDefault("A") == "van-giang-ubnd" && r["D"] == "dt-budget-share");
        Assert.Equal(("UBND huyện Văn Giang", "Văn Giang", "0.87", "1", "0.13"), (share["B"], share["C"], share["G"], share["I"], share["J"]));
        var cells = Cells(workbook, "Chưa đạt");
        // A value is a numeric cell (no type, or type n); text is an inline string.
        Assert.True(cells["G2"].DataType is null || cells["G2"].DataType!.Value == CellValues.Number);
        Assert.Equal(CellValues.InlineString, cells["B2"].DataType!.Value);
        // A date is a number in Excel's date system, styled as a date.
        Assert.True(double.TryParse(cells["K2"].CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture, out var since));
        Assert.Equal(ReportHub.On(Month.Previous.Previous, 5).AddHours(-9).DateTime, DateTime.FromOADate(since));

        var letter = Rows(workbook, "Cán bộ và ngân sách");
        Assert.Contains(letter, r => r.GetValueOrDefault("A") == "van-giang" && r["D"] == "dt-budget-share" && r["F"] == "0.87" && r["J"] == "chưa đạt");
        var missing = Rows(workbook, "Báo cáo thiếu");
        Assert.Contains(missing, r => r.GetValueOrDefault("A") == "van-giang-service-1" && r["H"] == "3");
    }

    [Fact]
    public async Task A_negative_value_in_the_low_achievement_export_stays_a_number()
    {
        await using var screen = await Screen.Connect(hub);
        await screen.Subscribe("phu-cu-ubnd");
        var measured = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 30);
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry",
            new { points = new[] { new { unit = "phu-cu-ubnd", metric = "dt-budget-share", value = -0.25, ts = measured } } }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await screen.Updates.First(u => u.Id == "phu-cu-ubnd" && u.BelowTarget >= 1);

        var csv = await hub.CreatePersonClient(HubRoles.Supervisor).GetByteArrayAsync("/api/v1/low-achievement.csv?scope=phu-cu-ubnd", Cancel);
        var row = Assert.Single(Encoding.UTF8.GetString(csv).Split("\r\n"), l => l.Contains(",dt-budget-share,", StringComparison.Ordinal));
        Assert.Contains(",-0.25,1,atLeast,1.25,", row, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scope=atlantis&period=2026-11", "scope")]
    [InlineData("period=2026-13", "period")]
    [InlineData("period=2026-Q5", "period")]
    [InlineData("period=Q4-2026", "period")]
    [InlineData("period=", "period")]
    [InlineData("period=2999", "period")]
    public async Task A_bad_scope_or_period_is_a_400_naming_the_parameter(string query, string parameter)
    {
        foreach (var path in new[] { "/api/v1/reports/supervision", "/api/v1/reports/supervision.xlsx", "/api/v1/reports/supervision.html" })
        {
            var problem = await (await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync($"{path}?{query}", Cancel)).Problem(HttpStatusCode.BadRequest);
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
            Assert.Contains(parameter, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_report_is_for_supervisors_an_operator_gets_403_and_no_token_401()
    {
        const string path = "/api/v1/reports/supervision?period=2026";
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.CreatePersonClient(HubRoles.Operator).GetAsync(path, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.CreateClient().GetAsync(path, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hub.CreatePersonClient(HubRoles.Admin).GetAsync(path, Cancel)).StatusCode);
    }

    [Fact]
    public async Task The_printable_page_is_Vietnamese_with_the_provinces_header_block_and_no_script()
    {
        var response = await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync($"/api/v1/reports/supervision.html?scope=van-giang&period={Month}", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync(Cancel);
        foreach (var text in new[] { "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND TỈNH HƯNG YÊN", "BÁO CÁO GIÁM SÁT CHUYỂN ĐỔI SỐ", Month.VietnameseName, "size: A4" })
            Assert.Contains(text, html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0,87 %", html);
    }

    private async Task<SpreadsheetDocument> Workbook(string scope, SupervisionPeriod period)
    {
        var response = await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync($"/api/v1/reports/supervision.xlsx?scope={scope}&period={period}", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"bao-cao-giam-sat-{scope}-{period}.xlsx", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var stream = new MemoryStream(await response.Content.ReadAsByteArrayAsync(Cancel));
        return SpreadsheetDocument.Open(stream, false);
    }

    private static Dictionary<string, Cell> Cells(SpreadsheetDocument workbook, string sheet)
    {
        var part = (WorksheetPart)workbook.WorkbookPart!.GetPartById(workbook.WorkbookPart.Workbook.Sheets!.Elements<Sheet>().Single(s => s.Name == sheet).Id!);
        return part.Worksheet.Descendants<Cell>().ToDictionary(c => c.CellReference!.Value!);
    }

    /// <summary>Each row as column letter → the cell's text (an inline string's text, or a number as written).</summary>
    private static List<Dictionary<string, string>> Rows(SpreadsheetDocument workbook, string sheet)
    {
        var part = (WorksheetPart)workbook.WorkbookPart!.GetPartById(workbook.WorkbookPart.Workbook.Sheets!.Elements<Sheet>().Single(s => s.Name == sheet).Id!);
        return part.Worksheet.Descendants<Row>().Select(r => r.Elements<Cell>().ToDictionary(
            c => new string(c.CellReference!.Value!.TakeWhile(char.IsAsciiLetter).ToArray()),
            c => c.DataType?.Value == CellValues.InlineString ? c.InlineString!.InnerText : c.CellValue!.Text)).ToList();
    }
}
