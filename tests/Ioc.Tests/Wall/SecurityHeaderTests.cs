using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ioc.Tests.Wall;

/// <summary>The wall page works under its security headers: nothing it needs is blocked, nothing inline runs.</summary>
public sealed class SecurityHeaderTests(WallHub hub, WallBrowser browser) : IClassFixture<WallHub>, IClassFixture<WallBrowser>
{
    private const float Patience = 20_000;

    [Fact(Timeout = 120_000)]
    public async Task The_wall_is_served_with_its_security_headers_and_works_under_them()
    {
        var page = await browser.NewPage();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(message.Text);
        };
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        var response = await page.GotoAsync($"{hub.BaseAddress}?token={Uri.EscapeDataString(hub.TokenFor(HubRoles.Operator))}");
        var headers = await response!.AllHeadersAsync();
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, headers["content-security-policy"]);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
        Assert.DoesNotContain("unsafe-inline", headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);

        // The page connects, draws its tiles, and shows a pushed value: scripts, styles and the WebSocket all ran.
        await Expect(page.Locator("#connection[data-state='connected']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        await Expect(page.Locator(".map article.tile")).ToHaveCountAsync(10);
        var pushed = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry",
            new { points = new[] { new { unit = "van-lam-air-1", metric = "pm25", value = 61.7 } } }, Cancel);
        Assert.True(pushed.IsSuccessStatusCode);
        await Expect(page.Locator("article.tile[data-entity='van-lam'] .metric[data-metric='pm25'] .value")).ToHaveTextAsync("61,7", new() { Timeout = Patience });

        Assert.Empty(violations);
        Assert.Empty(errors);
    }
}
