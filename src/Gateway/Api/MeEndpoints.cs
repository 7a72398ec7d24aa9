using System.Security.Claims;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;

namespace Ioc.Gateway.Api;

/// <summary>What the signed-in person may do, so that a screen asks only for what it may read.</summary>
public static class MeEndpoints
{
    /// <summary>The caller and the policies it holds beyond Watch.</summary>
    /// <param name="Name">The name audit trails record.</param>
    /// <param name="Supervise">May read history, export and acknowledge.</param>
    /// <param name="Administer">May change targets and tokens.</param>
    public sealed record Me(string Name, bool Supervise, bool Administer);

    /// <summary>Maps <c>GET /api/v1/me</c>.</summary>
    public static IEndpointRouteBuilder MapMeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/me", async (ClaimsPrincipal user, IAuthorizationService authorization) => TypedResults.Ok(new Me(
            People.Of(user).Name,
            (await authorization.AuthorizeAsync(user, HubPolicies.Supervise)).Succeeded,
            (await authorization.AuthorizeAsync(user, HubPolicies.Administer)).Succeeded)))
            .RequireAuthorization(HubPolicies.Watch);
        return app;
    }

    /// <summary>
    /// An endpoint filter for a Watch endpoint whose <c>format=csv</c> variant is an export: exports stay
    /// with the Supervise policy, so a caller without it gets 403 for the CSV and the JSON as usual.
    /// </summary>
    public static async ValueTask<object?> CsvNeedsSupervise(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (string.Equals(http.Request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase))
        {
            var authorization = http.RequestServices.GetRequiredService<IAuthorizationService>();
            if (!(await authorization.AuthorizeAsync(http.User, HubPolicies.Supervise)).Succeeded)
                return TypedResults.Forbid();
        }
        return await next(context);
    }
}
