using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Ingest.Telemetry;

/// <summary>The hub's own JSON telemetry endpoint, and what a unit has sent.</summary>
public static class TelemetryEndpoints
{
    /// <summary>Maps <c>POST /api/v1/telemetry</c> and <c>GET /api/v1/units/{id}/intake</c>.</summary>
    public static IEndpointRouteBuilder MapTelemetryEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapPost("/telemetry", PostTelemetry).WithName("PostTelemetry").DisableAntiforgery();
        api.MapGet("/units/{id}/intake", GetIntake).RequireAuthorization(HubPolicies.Watch);
        return app;
    }

    /// <summary>The answer to an accepted request.</summary>
    public sealed record AcceptedResponse(int Accepted);

    internal static async Task<Results<Accepted<AcceptedResponse>, ProblemHttpResult>> PostTelemetry(
        HttpContext http, WriteGate gate, Catalog catalog, CancellationToken cancellationToken)
    {
        var outcome = await gate.Write(http, "json", StatusCodes.Status202Accepted, (ReadOnlySpan<byte> body, in IngestRules rules, List<TelemetryPoint> points) =>
        {
            if (!http.Request.HasJsonContentType())
                return WriteOutcome.Error(StatusCodes.Status415UnsupportedMediaType, "invalid",
                    $"Content-Type '{http.Request.ContentType}' is not JSON; send 'Content-Type: application/json'.");
            return TelemetryJson.TryParse(body, catalog, rules, points) is { } error ? WriteOutcome.Refused(error) : null;
        }, cancellationToken);

        if (outcome.Code is null)
            return TypedResults.Accepted((string?)null, new AcceptedResponse(outcome.Points));
        if (outcome.RetryAfterHeader is { } retryAfter)
            http.Response.Headers.RetryAfter = retryAfter;
        var extensions = outcome.Detail is not { } detail ? null : new Dictionary<string, object?>
        {
            ["index"] = detail.Index < 0 ? null : detail.Index,
            ["field"] = detail.Field,
        };
        return TypedResults.Problem(outcome.Message, statusCode: outcome.Status, title: Title(outcome.Status), extensions: extensions);
    }

    internal static async Task<Results<Ok<UnitIntake>, ProblemHttpResult>> GetIntake(string id, Catalog catalog, IGrainFactory grains)
    {
        if (!catalog.TryGetEntity(id, out var entity) || entity.Kind != EntityKind.Unit)
            return TypedResults.Problem($"There is no unit '{id}' in the catalog.", statusCode: StatusCodes.Status404NotFound, title: "Unknown unit");
        return TypedResults.Ok(await grains.GetGrain<IUnitGrain>(id).GetIntake());
    }

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Invalid telemetry",
        StatusCodes.Status401Unauthorized => "Unauthorized",
        StatusCodes.Status403Forbidden => "Forbidden",
        StatusCodes.Status409Conflict => "Idempotency key reused",
        StatusCodes.Status413PayloadTooLarge => "Request too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type or encoding",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        StatusCodes.Status408RequestTimeout => "Request body too slow",
        _ => "Overloaded",
    };
}
