using Microsoft.AspNetCore.Builder;

namespace Ioc.ServiceDefaults;

/// <summary>
/// Headers that make the browser hold the wall page (and every other answer) to what it needs: scripts,
/// styles and connections from the hub itself only, never inline, never framed by another site, no
/// referrer sent on, no content-type guessing. Set for every response, ahead of the static files.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// The wall's policy. No <c>'unsafe-inline'</c> anywhere: the page loads its scripts and styles from files,
    /// sets styles through the CSSOM only, and talks to the hub (HTTP and the SignalR WebSocket) on its own
    /// origin. Images may be data URLs (icons drawn by the chart library).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Adds the headers to every response.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            // For browsers that predate frame-ancestors.
            headers.XFrameOptions = "DENY";
            return next(http);
        });
        return app;
    }
}
