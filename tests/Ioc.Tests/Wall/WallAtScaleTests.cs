using Ioc.LoadGen;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ioc.Tests.Wall;

/// <summary>The hub on a real port with the benchmark's catalog of 2,000 units: 200 under each locality.</summary>
public sealed class WallHubAtScale : KestrelHubFactory
{
    private readonly string _catalog = Path.Combine(Path.GetTempPath(), $"ioc-wall-scale-{Guid.NewGuid():N}.json");

    public WallHubAtScale() => BenchCatalog.Write(_catalog, 2_000, 4);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:CatalogPath"] = _catalog };

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) File.Delete(_catalog);
    }
}

/// <summary>The wall over many units: it reads the tree a level and a page at a time and draws only the page on screen.</summary>
public sealed class WallAtScaleTests(WallHubAtScale hub, WallBrowser browser)
    : IClassFixture<WallHubAtScale>, IClassFixture<WallBrowser>, IAsyncDisposable
{
    private const float Patience = 30_000;
    private readonly List<IPage> _pages = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var page in _pages) await page.Context.CloseAsync();
    }

    [Fact(Timeout = 180_000)]
    public async Task A_locality_of_200_units_is_read_and_drawn_50_rows_at_a_time_and_the_whole_tree_is_never_asked_for()
    {
        var requests = new List<string>();
        var page = await Open(HubRoles.Supervisor, "#/entity/van-lam", requests);

        var view = page.Locator(".drill[data-view='group'][data-entity='van-lam'][data-state='ready']");
        await Expect(view).ToHaveCountAsync(1, new() { Timeout = Patience });
        var rows = view.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(view.Locator(".page-range")).ToHaveTextAsync("1–50 / 200");
        var first = await rows.First.GetAttributeAsync("data-entity");

        await view.Locator("button[data-page='next']").ClickAsync();
        await Expect(view.Locator(".page-range")).ToHaveTextAsync("51–100 / 200", new() { Timeout = Patience });
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).Not.ToHaveAttributeAsync("data-entity", first!);

        Assert.DoesNotContain(requests, r => new Uri(r).AbsolutePath == "/api/v1/entities" && new Uri(r).Query.Length == 0);
        Assert.Contains(requests, r => r.Contains("/api/v1/entities/van-lam/children?offset=50&limit=50", StringComparison.Ordinal));
    }

    [Fact(Timeout = 180_000)]
    public async Task A_supervisor_finds_one_unit_among_2000_by_its_name_without_diacritics()
    {
        var page = await Open(HubRoles.Supervisor, "", []);

        await page.Locator("#search input").FillAsync("don vi thu tai 00123");
        var first = page.Locator("#search .search-results li").First;
        await Expect(first).ToHaveAttributeAsync("data-entity", "bench-00123", new() { Timeout = Patience });
        await Expect(first.Locator(".search-name")).ToHaveTextAsync("Đơn vị thử tải 00123");
        await page.Locator("#search input").PressAsync("Enter");
        await Expect(page.Locator(".drill[data-view='unit'][data-entity='bench-00123'] h1")).ToHaveTextAsync("Đơn vị thử tải 00123", new() { Timeout = Patience });
    }

    private async Task<IPage> Open(string role, string hash, List<string> requests)
    {
        var page = await browser.NewPage();
        _pages.Add(page);
        page.Request += (_, request) => { lock (requests) requests.Add(request.Url); };
        await page.GotoAsync($"{hub.BaseAddress}?token={Uri.EscapeDataString(hub.TokenFor(role))}{hash}");
        await Expect(page.Locator("#connection[data-state='connected']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        return page;
    }
}
