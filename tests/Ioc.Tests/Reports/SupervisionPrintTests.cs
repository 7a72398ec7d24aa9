using Ioc.Contracts.Supervision;
using Ioc.Tests.Storage;
using Ioc.Tests.Wall;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ioc.Tests.Reports;

/// <summary>The report hub on a real port, for the browser.</summary>
public sealed class ReportPrintHub : KestrelHubFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Ingest:MaxPointAge"] = "800.00:00:00" };
}

/// <summary>The printable report in Debian's Chromium, printed to PDF as a supervisor would.</summary>
public sealed class SupervisionPrintTests(ReportPrintHub hub, WallBrowser browser) : IClassFixture<ReportPrintHub>, IClassFixture<WallBrowser>
{
    [Fact(Timeout = 180_000)]
    public async Task The_report_page_prints_to_an_A4_PDF_with_the_provinces_header_and_runs_no_script()
    {
        var month = ReportHub.Month;
        await StorageScenario.Push(hub.CreateUnitClient(), ReportHub.Scenario(month), 50, Cancel);
        var buffer = hub.Services.GetRequiredService<Ioc.TimeSeries.WriteAheadLog>();
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await buffer.WhenConfirmed(buffer.DurableEnd, timeout.Token);
        }

        var page = await browser.NewPage(1240, 1754);
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") problems.Add(message.Text); };
        page.PageError += (_, error) => problems.Add(error);
        page.RequestFailed += (_, request) => problems.Add($"{request.Url}: {request.Failure}");
        await page.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["Authorization"] = $"Bearer {hub.TokenFor(HubRoles.Supervisor)}" });

        var response = await page.GotoAsync(new Uri(hub.BaseAddress, $"/api/v1/reports/supervision.html?scope=hung-yen&period={month}").ToString());
        Assert.Equal(200, response!.Status);

        await Expect(page).ToHaveTitleAsync($"Báo cáo giám sát chuyển đổi số — Hưng Yên — {month.VietnameseName}");
        await Expect(page.Locator("table.header")).ToContainTextAsync("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        await Expect(page.Locator("table.header")).ToContainTextAsync("Độc lập - Tự do - Hạnh phúc");
        await Expect(page.Locator("table.header")).ToContainTextAsync("UBND TỈNH HƯNG YÊN");
        await Expect(page.Locator("h1")).ToHaveTextAsync("BÁO CÁO GIÁM SÁT CHUYỂN ĐỔI SỐ");
        await Expect(page.Locator("p.period")).ToContainTextAsync(month.VietnameseName);
        await Expect(page.Locator("li.below")).ToContainTextAsync(
            ["Cán bộ chuyên trách CĐS có trình độ đại học CNTT: 0 người — chưa đạt", "Tỷ lệ chi ngân sách cho chuyển đổi số: 0,87 % — chưa đạt (yêu cầu tối thiểu 1,0 %)"]);
        Assert.Equal(0, await page.Locator("script").CountAsync());

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4", PreferCSSPageSize = true, PrintBackground = true });

        Assert.True(pdf.Length > 10_000, $"the PDF is only {pdf.Length} bytes");
        Assert.Equal("%PDF-", Encoding.ASCII.GetString(pdf, 0, 5));
        // Every page is A4: 595 × 842 points, give or take Chromium's rounding.
        var boxes = System.Text.RegularExpressions.Regex.Matches(Encoding.Latin1.GetString(pdf), @"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]");
        Assert.NotEmpty(boxes);
        Assert.All(boxes, box =>
        {
            Assert.InRange(double.Parse(box.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 593, 597);
            Assert.InRange(double.Parse(box.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), 840, 844);
        });
        Assert.Empty(problems);
    }
}
