using System.Buffers;
using System.IO.Pipelines;
using Ioc.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>The hub's own JSON telemetry endpoint.</summary>
public static class TelemetryEndpoints
{
    /// <summary>Maps <c>POST /api/v1/telemetry</c>.</summary>
    public static IEndpointRouteBuilder MapTelemetryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").MapPost("/telemetry", PostTelemetry).WithName("PostTelemetry").DisableAntiforgery();
        return app;
    }

    /// <summary>The answer to an accepted request.</summary>
    public sealed record AcceptedResponse(int Accepted);

    internal static async Task<Results<Accepted<AcceptedResponse>, ProblemHttpResult>> PostTelemetry(
        HttpContext http, UnitTokens tokens, Catalog catalog, TelemetryIngestor ingestor,
        IOptions<IngestOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var grant = tokens.Authenticate(http.Request.Headers.Authorization);
        if (grant is null)
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "A valid 'Authorization: Token <token>' header is required.");

        var limit = options.Value.MaxBodyBytes;
        if (http.Request.ContentLength > limit)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is larger than {limit} bytes.");

        var body = http.Request.BodyReader;
        var read = await ReadWhole(body, limit, cancellationToken);
        if (read is null)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is larger than {limit} bytes.");
        var points = new List<TelemetryPoint>();
        TelemetryError? error;
        try
        {
            error = TelemetryJson.TryParse(read.Value.Buffer, catalog, time.GetUtcNow(), options.Value.MaxPointsPerRequest, points);
        }
        finally
        {
            body.AdvanceTo(read.Value.Buffer.End);
        }
        if (error is not null)
            return Problem(StatusCodes.Status400BadRequest, "Invalid telemetry", error.ToString(), error);

        foreach (var p in points)
        {
            if (!grant.Covers(p.Unit))
                return Problem(StatusCodes.Status403Forbidden, "Forbidden", $"The token '{grant.Name}' may not write to unit '{p.Unit}'.");
        }
        if (await ingestor.Accept(points, cancellationToken) == IngestOutcome.Overloaded)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(ingestor.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Overloaded", "The hub cannot keep more points right now; retry after the Retry-After delay.");
        }
        return TypedResults.Accepted((string?)null, new AcceptedResponse(points.Count));
    }

    /// <summary>Reads the whole body into the pipe's buffer, or null once it passes <paramref name="limit"/>.</summary>
    private static async Task<ReadResult?> ReadWhole(PipeReader body, long limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            if (result.Buffer.Length > limit)
            {
                body.AdvanceTo(result.Buffer.End);
                return null;
            }
            if (result.IsCompleted)
                return result;
            body.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static ProblemHttpResult Problem(int status, string title, string detail, TelemetryError? error = null)
    {
        var extensions = error is null ? null : new Dictionary<string, object?>
        {
            ["index"] = error.Index < 0 ? null : error.Index,
            ["field"] = error.Field,
        };
        return TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);
    }
}
