using System.Collections.Immutable;
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

    /// <summary>The body of an acknowledgement.</summary>
    /// <param name="Comment">What the supervisor is doing about it; optional.</param>
    public sealed record AckRequest(string? Comment);

    /// <summary>Maps <c>GET /api/v1/alerts</c>, <c>GET /api/v1/alerts/{id}</c> and <c>POST /api/v1/alerts/{id}/ack</c>.</summary>
    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts");
        alerts.MapGet("", List).RequireAuthorization(HubPolicies.Watch);
        alerts.MapGet("/{id}", Get).RequireAuthorization(HubPolicies.Watch);
        alerts.MapPost("/{id}/ack", Acknowledge).RequireAuthorization(HubPolicies.Supervise);
        return app;
    }

    internal static async Task<Results<Ok<ImmutableArray<Alert>>, ProblemHttpResult>> List(
        string? scope, string? state, int? limit, Catalog catalog, IGrainFactory grains)
    {
        if (Scopes.Resolve(catalog, scope) is not { } entity)
            return Scopes.Unknown(scope);
        if (limit is < 1 or > MaxLimit)
            return TypedResults.Problem($"The query parameter 'limit' is {limit}; use a number from 1 to {MaxLimit}, or leave it out for every alert.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit");
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
        var alerts = await grains.AlertsUnder(catalog, entity);
        // Newest first already; a province can keep tens of thousands, and a screen shows the newest few.
        IEnumerable<Alert> listed = wanted is { } s ? alerts.Where(a => a.State == s) : alerts;
        return TypedResults.Ok<ImmutableArray<Alert>>(limit is { } n ? [.. listed.Take(n)] : [.. listed]);
    }

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
