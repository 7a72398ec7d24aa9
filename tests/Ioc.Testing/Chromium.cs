using Microsoft.Playwright;

namespace Ioc.Tests.Wall;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright. No browser is ever downloaded: the tests use
/// <c>/usr/bin/chromium</c>, and without it they fail on CI and skip elsewhere.
/// </summary>
public sealed class WallBrowser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public string? Missing { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Missing = $"{ChromiumPath} is not installed (apt-get install chromium)";
            return;
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A fresh page (its own storage) with the given viewport; fails on CI and skips elsewhere without Chromium.</summary>
    public async Task<IPage> NewPage(int width = 1920, int height = 1080)
    {
        if (Missing is not null)
        {
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
                Assert.Fail($"Browser tests need Chromium on CI: {Missing}.");
            Assert.Skip($"Browser tests skipped: {Missing}.");
        }
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "vi-VN",
            TimezoneId = "Asia/Ho_Chi_Minh",
        });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
