using Ioc.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Ioc.Gateway.Api;

/// <summary>Signed bearer tokens for people, in Development, so that a fresh hub's wall works without an identity provider.</summary>
public static class DevelopmentTokenEndpoints
{
    /// <summary>
    /// In Development only, maps <c>GET /dev/token?role=…</c>, which signs a token with the local key. The screens'
    /// side serves it because that is where people sign in; units use unit tokens, never these.
    /// </summary>
    public static WebApplication MapDevelopmentTokens(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment()) return app;
        app.MapGet("/dev/token", (string? role, IOptions<HubAuthOptions> auth) =>
        {
            role ??= HubRoles.Operator;
            if (!HubRoles.All.Contains(role))
                return Results.Problem($"Unknown role '{role}'; use one of {string.Join(", ", HubRoles.All)}.", statusCode: 400);
            return Results.Text(DevTokens.Issue(auth.Value, role, $"dev-{role}", TimeSpan.FromHours(12)));
        }).AllowAnonymous();
        return app;
    }
}
