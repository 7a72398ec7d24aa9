using Microsoft.Playwright;

namespace Ioc.Testing;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright. No browser is ever downloaded: it is
/// <c>/usr/bin/chromium</c>, and without it <see cref="NewPage"/> reports it through <see cref="Component.WhenMissing"/>.
/// Call <see cref="InitializeAsync"/> before use; a test class fixture does so by deriving from it.
/// </summary>
public class Chromium : IAsyncDisposable
{
    /// <summary>Where the Debian package installs it.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Why the browser cannot run here, or null when it can.</summary>
    public string? Missing { get; private set; }

    /// <summary>Launches the browser, or notes that it is missing.</summary>
    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Missing = $"{ChromiumPath} is missing; install the Debian package 'chromium'.";
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

    /// <summary>A fresh page (its own storage) with the given viewport, in Vietnamese and the province's time zone.</summary>
    public async Task<IPage> NewPage(int width = 1920, int height = 1080)
    {
        if (Missing is not null) Component.WhenMissing($"Browser tests need Chromium: {Missing}");
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "vi-VN",
            TimezoneId = "Asia/Ho_Chi_Minh",
        });
        return await context.NewPageAsync();
    }

    /// <summary>Closes the browser.</summary>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
