using System.Collections.Immutable;
using System.ComponentModel;
using System.Security.Claims;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Api;

/// <summary>Alerts: operators may read them, supervisors acknowledge them.</summary>
public static class AlertEndpoints
{
    /// <summary>Longest acknowledgement comment accepted.</summary>
    public const int MaxCommentLength = 2000;

    /// <summary>Largest <c>limit</c> a list may ask for.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>How many alerts a list answers when it names no <c>limit</c>: as many as the wall's panel and the live subscription hold.</summary>
    public const int DefaultLimit = 200;

    /// <summary>The body of an acknowledgement.</summary>
    /// <param name="Comment">What the supervisor is doing about it; optional.</param>
    public sealed record AckRequest(string? Comment);

    /// <summary>Maps <c>GET /api/v1/alerts</c>, <c>GET /api/v1/alerts/{id}</c> and <c>POST /api/v1/alerts/{id}/ack</c>.</summary>
    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts");
        alerts.MapGet("", List).RequireAuthorization(HubPolicies.Watch)
            .WithDescription($"The alerts of a scope, newest first, a page at a time: the newest {DefaultLimit} unless 'limit' says otherwise. " +
                "When there are more, the answer's 'Link' header holds the next page's address (rel=\"next\"), which is this one with 'before' set.");
        alerts.MapGet("/{id}", Get).RequireAuthorization(HubPolicies.Watch);
        alerts.MapPost("/{id}/ack", Acknowledge).RequireAuthorization(HubPolicies.Supervise);
        return app;
    }

    internal static async Task<Results<Ok<ImmutableArray<Alert>>, ProblemHttpResult>> List(
        [Description("The entity whose units' alerts to list; the province when left out.")] string? scope,
        [Description("Only alerts in this state: 'active', 'acknowledged' or 'cleared'.")] string? state,
        [Description("How many alerts to answer, from 1 to 10000; 200 when left out.")] int? limit,
        [Description("Where the page starts: the cursor in the previous page's 'Link' header; the newest alerts when left out.")] string? before,
        Catalog catalog, IGrainFactory grains, HttpRequest request)
    {
        if (Scopes.Resolve(catalog, scope) is not { } entity)
            return Scopes.Unknown(scope);
        if (limit is < 1 or > MaxLimit)
            return TypedResults.Problem($"The query parameter 'limit' is {limit}; use a number from 1 to {MaxLimit}, or leave it out for the newest {DefaultLimit}.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit");
        AlertCursor? cursor = null;
        if (before is not null)
        {
            if (!AlertCursor.TryParse(before, out var parsed))
                return TypedResults.Problem("The query parameter 'before' is not a cursor this hub wrote; take it from the 'Link' header of the previous page.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid cursor");
            cursor = parsed;
        }
        AlertState? wanted = null;
        if (!string.IsNullOrEmpty(state))
        {
            // Names only: Enum.TryParse would also take numbers and comma-joined lists.
            var name = Enum.GetNames<AlertState>().FirstOrDefault(n => string.Equals(n, state, StringComparison.OrdinalIgnoreCase));
            if (name is null)
                return TypedResults.Problem($"The query parameter 'state' is '{state}'; use 'active', 'acknowledged' or 'cleared'.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Unknown alert state");
            wanted = Enum.Parse<AlertState>(name);
        }
        // Each index answers newest first already; a province keeps tens of thousands, and a page takes only what it shows.
        var lists = await Task.WhenAll(grains.IndexesOf(catalog, entity).Select(i => i.GetAlerts(openOnly: wanted is AlertState.Active or AlertState.Acknowledged)));
        var unit = entity.Kind == EntityKind.Unit ? entity.Id : null;
        var (page, next) = AlertPage.Take(lists, a => (wanted is null || a.State == wanted) && (unit is null || a.Entity == unit), cursor, limit ?? DefaultLimit);
        if (next is { } n)
            request.HttpContext.Response.Headers.Link = $"<{NextPage(request, n)}>; rel=\"next\"";
        return TypedResults.Ok(page);
    }

    /// <summary>This request's address with <c>before</c> set to <paramref name="next"/>.</summary>
    private static string NextPage(HttpRequest request, AlertCursor next) =>
        request.PathBase + request.Path + QueryString.Create(request.Query
            .Where(q => !string.Equals(q.Key, "before", StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))
            .Append(KeyValuePair.Create("before", (string?)next.ToString())));

    internal static async Task<Results<Ok<AlertDetail>, ProblemHttpResult>> Get(string id, Catalog catalog, IGrainFactory grains)
    {
        if (UnitOf(id, catalog) is not { } unit || await grains.GetGrain<IAlertsGrain>(unit).GetAlert(id) is not { } detail)
            return NotFound(id);
        return TypedResults.Ok(detail);
    }

    internal static async Task<Results<Ok<Alert>, ProblemHttpResult>> Acknowledge(
        string id, AckRequest? request, ClaimsPrincipal user, Catalog catalog, IGrainFactory grains)
    {
        if (request?.Comment is { Length: > MaxCommentLength })
            return TypedResults.Problem($"The field 'comment' is {request.Comment.Length} characters long; at most {MaxCommentLength} are accepted.",
                statusCode: StatusCodes.Status400BadRequest, title: "Comment too long");
        if (UnitOf(id, catalog) is not { } unit)
            return NotFound(id);
        var comment = string.IsNullOrWhiteSpace(request?.Comment) ? null : request.Comment.Trim();
        var result = await grains.GetGrain<IAlertsGrain>(unit).Acknowledge(id, People.Of(user).Name, comment);
        return result.Outcome switch
        {
            AckOutcome.Acknowledged => TypedResults.Ok(result.Alert!),
            AckOutcome.NotActive => TypedResults.Problem(
                $"Alert '{id}' is {result.Alert!.State.ToString().ToLowerInvariant()}; only an active alert can be acknowledged.",
                statusCode: StatusCodes.Status409Conflict, title: "Alert not active"),
            _ => NotFound(id),
        };
    }

    private static string? UnitOf(string id, Catalog catalog) =>
        AlertIds.UnitOf(id) is { } unit && catalog.TryGetEntity(unit, out var e) && e.Kind == EntityKind.Unit ? unit : null;

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"There is no alert '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown alert");
}
