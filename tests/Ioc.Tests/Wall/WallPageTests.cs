using System.Net;
using System.Net.Http.Json;
using Ioc.Contracts;
using Ioc.Gateway.Live;
using Ioc.ServiceDefaults;
using Ioc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ioc.Tests.Wall;

/// <summary>The hub on a real port for the browser, with the development settings and no simulator.</summary>
public sealed class WallHub : KestrelHubFactory;

public sealed class WallPageTests(WallHub hub, WallBrowser browser, ITestOutputHelper output)
    : IClassFixture<WallHub>, IClassFixture<WallBrowser>
{
    private const float Patience = 20_000;
    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;
    private Ioc.Contracts.Catalog Catalog => hub.Services.GetRequiredService<Ioc.Contracts.Catalog>();

    [Fact(Timeout = 120_000)]
    public async Task The_wall_shows_every_locality_by_its_Vietnamese_name()
    {
        var page = await OpenWall();

        var localities = Catalog.Entities.Where(e => e.IsLocality).ToList();
        Assert.Equal(10, localities.Count);
        await Expect(page.Locator(".map article.tile")).ToHaveCountAsync(10);
        foreach (var locality in localities)
            await Expect(page.Locator($"article.tile[data-entity='{locality.Id}'] .name")).ToHaveTextAsync(locality.Name);
        await Expect(page.Locator("article.tile[data-entity='khoai-chau'] .name")).ToHaveTextAsync("Khoái Châu");
        await Expect(page.Locator(".projects article.tile")).ToHaveCountAsync(5);
        await Expect(page.Locator(".departments article.tile")).ToHaveCountAsync(5);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_point_pushed_for_a_unit_appears_on_its_locality_tile()
    {
        var page = await OpenWall();

        await Push(("van-lam-air-1", "pm25", 47.3));

        var pm25 = page.Locator("article.tile[data-entity='van-lam'] .metric[data-metric='pm25'] .value");
        await Expect(pm25).ToHaveTextAsync("47,3", new() { Timeout = Patience });
        // Only Văn Lâm: a tile elsewhere does not show it.
        await Expect(page.Locator("article.tile[data-entity='yen-my'] .metric[data-metric='pm25'] .value")).Not.ToHaveTextAsync("47,3");
    }

    [Fact(Timeout = 120_000)]
    public async Task Breaking_the_connection_server_side_makes_the_wall_reconnect_and_show_current_values()
    {
        var page = await OpenWall();
        // Record every connection state the page shows.
        await page.EvaluateAsync("""
            () => {
              window.connectionStates = [];
              const el = document.getElementById('connection');
              new MutationObserver(() => window.connectionStates.push(el.dataset.state)).observe(el, { attributes: true, attributeFilter: ['data-state'] });
            }
            """);
        await Push(("tien-lu-water-1", "water-level", 1.23));
        var level = page.Locator("article.tile[data-entity='tien-lu'] .metric[data-metric='water-level'] .value");
        await Expect(level).ToHaveTextAsync("1,23", new() { Timeout = Patience });

        hub.Services.GetRequiredService<Screens>().AbortAll();
        // Changed while the page is cut off: it may miss the update, but not the snapshot it takes on return.
        await Push(("tien-lu-water-1", "water-level", 2.34));

        await Expect(page.Locator("#connection[data-state='connected']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await Expect(level).ToHaveTextAsync("2,34", new() { Timeout = Patience });
        var states = await page.EvaluateAsync<string[]>("() => window.connectionStates");
        Assert.Contains("reconnecting", states);
        Assert.Equal("connected", states[^1]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Drilling_down_from_a_locality_to_a_unit_and_a_metric_shows_its_history_chart()
    {
        await SkipUnlessHistoryApiExists();
        var now = DateTimeOffset.UtcNow;
        await Push([.. Enumerable.Range(1, 10).Select(i => ("van-giang-air-1", "pm25", 30.0 + i, now.AddMinutes(i - 10)))]);
        var page = await OpenWall(HubRoles.Supervisor);

        await page.Locator("article.tile[data-entity='van-giang']").ClickAsync();
        await Expect(page.Locator(".drill[data-view='group'][data-entity='van-giang'] h1")).ToHaveTextAsync("Văn Giang");
        await page.Locator("tr[data-entity='van-giang-air-1'] a").ClickAsync();
        await Expect(page.Locator(".drill[data-view='unit'] h1")).ToHaveTextAsync("Trạm quan trắc không khí Văn Giang");
        await page.Locator(".metric-card[data-metric='pm25']").ClickAsync();

        Assert.EndsWith("#/entity/van-giang-air-1/metric/pm25", page.Url);
        await Expect(page.Locator(".chart-view[data-state='ready']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await Expect(page.Locator(".chart-view .chart canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator(".chart-view h1")).ToHaveTextAsync("Bụi mịn PM2.5");
    }

    [Fact(Timeout = 120_000)]
    public async Task An_operator_who_opens_a_history_chart_is_told_that_history_is_for_supervisors()
    {
        await SkipUnlessHistoryApiExists();
        var page = await OpenWall(HubRoles.Operator, "#/entity/an-thi/metric/pm25");

        await Expect(page.Locator(".chart-view[data-state='forbidden'] .chart-message"))
            .ToContainTextAsync("Chỉ cán bộ giám sát", new() { Timeout = Patience });
    }

    [Fact(Timeout = 120_000)]
    public async Task The_language_switch_shows_the_catalog_names_in_English_and_back()
    {
        var page = await OpenWall();

        await page.Locator(".lang button[data-lang='en']").ClickAsync();
        await Expect(page.Locator("article.tile[data-entity='khoai-chau'] .name")).ToHaveTextAsync("Khoai Chau district");
        await Expect(page.Locator("#title")).ToHaveTextAsync("Intelligent Operations Centre");
        await page.Locator(".lang button[data-lang='vi']").ClickAsync();
        await Expect(page.Locator("article.tile[data-entity='khoai-chau'] .name")).ToHaveTextAsync("Khoái Châu");
    }

    [Fact(Timeout = 180_000)]
    public async Task The_wall_at_1920x1080_and_3840x2160_is_saved_as_a_screenshot()
    {
        // A reading for every metric of every unit, so that every tile is live.
        var now = DateTimeOffset.UtcNow;
        var random = new Random(20261127);
        await Push([.. Catalog.Entities.Where(e => e.Kind == EntityKind.Unit)
            .SelectMany(u => u.Metrics.Select(m => (u.Id, m, Typical(m, random), now)))]);

        foreach (var (width, height) in new[] { (1920, 1080), (3840, 2160) })
        {
            var page = await OpenWall(width: width, height: height);
            await Expect(page.Locator(".map article.tile.is-stale")).ToHaveCountAsync(0, new() { Timeout = Patience });
            var path = Path.Combine(AppContext.BaseDirectory, "TestResults", "wall", $"wall-{width}x{height}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
            Assert.True(png.Length > 10_000);
            output.WriteLine($"Screenshot of the wall at {width}×{height}: {path}");
            TestContext.Current.AddAttachment($"wall-{width}x{height}.png", png, "image/png");
        }
    }

    private async Task<IPage> OpenWall(string role = HubRoles.Operator, string hash = "", int width = 1920, int height = 1080)
    {
        var page = await browser.NewPage(width, height);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync($"{hub.BaseAddress}?token={Uri.EscapeDataString(hub.TokenFor(role))}{hash}");
        await Expect(page.Locator("#connection[data-state='connected']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        Assert.Empty(errors);
        return page;
    }

    private Task Push(params (string Unit, string Metric, double Value)[] points) =>
        Push([.. points.Select(p => (p.Unit, p.Metric, p.Value, DateTimeOffset.UtcNow))]);

    private async Task Push((string Unit, string Metric, double Value, DateTimeOffset Ts)[] points)
    {
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = points.Select(p => new { unit = p.Unit, metric = p.Metric, value = p.Value, ts = p.Ts }),
        }, Cancelled);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>The history API comes with the time-series work; until it is in the build these tests say so and skip.</summary>
    private async Task SkipUnlessHistoryApiExists()
    {
        var client = hub.CreatePersonClient(HubRoles.Supervisor);
        var now = DateTimeOffset.UtcNow;
        var response = await client.GetAsync(
            $"/api/v1/entities/van-giang-air-1/metrics/pm25/history?from={now.AddHours(-1):O}&to={now:O}&step=1m&agg=avg", Cancelled);
        if (response.StatusCode == HttpStatusCode.NotFound && response.Content.Headers.ContentLength is null or 0)
            Assert.Skip("The history API (GET /api/v1/entities/{id}/metrics/{metric}/history) is not in this build yet.");
    }

    private static double Typical(string metric, Random random) => metric switch
    {
        "it-officials" => random.Next(0, 4),
        "dt-budget-share" => Math.Round(0.6 + random.NextDouble(), 2),
        "vehicle-count" => Math.Round(40 + random.NextDouble() * 60, 1),
        "avg-speed" => Math.Round(25 + random.NextDouble() * 30, 1),
        "pm25" => Math.Round(20 + random.NextDouble() * 45, 1),
        "aqi" => Math.Round(40 + random.NextDouble() * 90, 0),
        "water-level" => Math.Round(1.2 + random.NextDouble() * 2.2, 2),
        "camera-online-ratio" => Math.Round(85 + random.NextDouble() * 15, 1),
        "queue-length" => random.Next(0, 20),
        _ => Math.Round(35 + random.NextDouble() * 65, 1),
    };
}
