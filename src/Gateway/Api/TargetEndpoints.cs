using System.Collections.Immutable;
using System.Security.Claims;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Api;

/// <summary>Admins change targets and thresholds per entity; every change is audited and applies live.</summary>
public static class TargetEndpoints
{
    /// <summary>A target in a request: <c>{"direction":"atLeast","value":1.5}</c>.</summary>
    public sealed record TargetBody(string? Direction, double? Value);

    /// <summary>Thresholds in a request: <c>{"direction":"atMost","warning":50,"critical":75}</c>.</summary>
    public sealed record ThresholdsBody(string? Direction, double? Warning, double? Critical);

    /// <summary>The body of a change: a target, thresholds, or both; what is left out is inherited.</summary>
    public sealed record TargetRequest(TargetBody? Target, ThresholdsBody? Thresholds);

    /// <summary>Maps <c>/api/v1/admin/targets</c>: the overrides, their audit trail, and per entity and metric what is in force, set or cleared.</summary>
    public static IEndpointRouteBuilder MapTargetEndpoints(this IEndpointRouteBuilder app)
    {
        var targets = app.MapGroup("/api/v1/admin/targets").RequireAuthorization(HubPolicies.Administer);
        targets.MapGet("", async (IGrainFactory grains) => TypedResults.Ok(await Targets(grains).GetOverrides()));
        targets.MapGet("/audit", async (IGrainFactory grains) => TypedResults.Ok(await Targets(grains).GetAudit()));
        targets.MapGet("/{entityId}/{metric}", GetInForce);
        targets.MapPut("/{entityId}/{metric}", Put);
        targets.MapDelete("/{entityId}/{metric}", Delete);
        return app;
    }

    internal static async Task<Results<Ok<EffectiveTarget>, ProblemHttpResult>> GetInForce(string entityId, string metric, Catalog catalog, IGrainFactory grains)
    {
        if (Unknown(entityId, metric, catalog) is { } problem)
            return problem;
        return TypedResults.Ok(await Targets(grains).Resolve(entityId, metric));
    }

    internal static async Task<Results<Ok<TargetChange>, ValidationProblem, ProblemHttpResult>> Put(
        string entityId, string metric, TargetRequest? request, ClaimsPrincipal user, Catalog catalog, IGrainFactory grains)
    {
        if (Unknown(entityId, metric, catalog) is { } problem)
            return problem;
        if (!catalog.UnitsUnder(entityId).Any(u => catalog.Entity(u).Metrics.Contains(metric)))
            return TypedResults.Problem($"No unit under '{entityId}' reports '{metric}', so a target for it there would judge nothing.",
                statusCode: StatusCodes.Status400BadRequest, title: "Metric not reported here");

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [message];
        if (request is null || (request.Target is null && request.Thresholds is null))
            Error("body", "Give a 'target', 'thresholds' or both; what is left out is inherited.");

        Target? target = null;
        if (request?.Target is { } t)
        {
            var direction = Direction(t.Direction);
            if (direction is null) Error("target.direction", "Use 'atLeast' or 'atMost'.");
            if (t.Value is not { } value || !double.IsFinite(value)) Error("target.value", "A finite number is required.");
            else if (direction is { } d) target = new Target(d, value);
        }
        Thresholds? thresholds = null;
        if (request?.Thresholds is { } th)
        {
            var direction = Direction(th.Direction);
            if (direction is null) Error("thresholds.direction", "Use 'atMost' (values above breach) or 'atLeast' (values below breach).");
            else
            {
                thresholds = new Thresholds(direction.Value, th.Warning, th.Critical);
                if (thresholds.Problem() is { } why) Error("thresholds", why);
            }
        }
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: $"The target for '{metric}' on '{entityId}' is not valid");

        var (name, subject) = People.Of(user);
        return TypedResults.Ok(await Targets(grains).Set(entityId, metric, new TargetSetting(target, thresholds), name, subject));
    }

    internal static async Task<Results<Ok<TargetChange>, ProblemHttpResult>> Delete(
        string entityId, string metric, ClaimsPrincipal user, Catalog catalog, IGrainFactory grains)
    {
        if (Unknown(entityId, metric, catalog) is { } problem)
            return problem;
        var (name, subject) = People.Of(user);
        return await Targets(grains).Clear(entityId, metric, name, subject) is { } change
            ? TypedResults.Ok(change)
            : TypedResults.Problem($"'{entityId}' has no override for '{metric}'.", statusCode: StatusCodes.Status404NotFound, title: "No override");
    }

    private static ITargetsGrain Targets(IGrainFactory grains) => grains.GetGrain<ITargetsGrain>(0);

    private static TargetDirection? Direction(string? text) =>
        string.Equals(text, "atLeast", StringComparison.OrdinalIgnoreCase) ? TargetDirection.AtLeast :
        string.Equals(text, "atMost", StringComparison.OrdinalIgnoreCase) ? TargetDirection.AtMost : null;

    private static ProblemHttpResult? Unknown(string entityId, string metric, Catalog catalog) =>
        !catalog.TryGetEntity(entityId, out _)
            ? TypedResults.Problem($"There is no entity '{entityId}' in the catalog.", statusCode: StatusCodes.Status404NotFound, title: "Unknown entity")
            : !catalog.TryGetMetric(metric, out _)
                ? TypedResults.Problem($"There is no metric '{metric}' in the catalog.", statusCode: StatusCodes.Status404NotFound, title: "Unknown metric")
                : null;
}
