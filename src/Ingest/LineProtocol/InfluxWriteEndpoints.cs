using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// InfluxDB 2.x's write endpoint, so that Telegraf, Node-RED, gateways and InfluxDB.Client can push to the
/// hub unchanged. It answers as InfluxDB does: 204, or an error status with <c>{"code":…,"message":…}</c>.
/// </summary>
public static class InfluxWriteEndpoints
{
    /// <summary>InfluxDB's error body.</summary>
    /// <param name="Code">InfluxDB's error code: <c>invalid</c>, <c>unauthorized</c>, <c>forbidden</c>, <c>request too large</c>, …</param>
    /// <param name="Message">What was wrong; for a bad line, its number and the problem.</param>
    public sealed record InfluxError(string Code, string Message);

    /// <summary>Maps <c>POST /api/v2/write?org=&amp;bucket=&amp;precision=</c>. The hub has one store, so org and bucket are accepted and not used.</summary>
    public static IEndpointRouteBuilder MapInfluxWrite(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/write", Write).WithName("InfluxWrite").DisableAntiforgery();
        return app;
    }

    internal static async Task<Results<NoContent, JsonHttpResult<InfluxError>>> Write(
        HttpContext http, WriteGate gate, TelemetryLines lines, CancellationToken cancellationToken)
    {
        // Read by hand: binding would turn an empty precision= into a missing one, which means nanoseconds.
        string? precision = http.Request.Query.TryGetValue("precision", out var given) ? given.ToString() : null;
        var validPrecision = Precisions.TryParse(precision, out var unit);
        // Where each line lies in the body, so that the request goes to the buffer as received, with the catalog's tags spliced in.
        using var received = new ReceivedLines();
        var outcome = await gate.Write(http, "influx", StatusCodes.Status204NoContent, (ReadOnlySpan<byte> body, in IngestRules rules, List<TelemetryPoint> points) =>
        {
            if (!validPrecision)
                return WriteOutcome.Error(StatusCodes.Status400BadRequest, "invalid", $"invalid precision '{precision}'; use ns, us, ms or s");
            return lines.Parse(body, unit, rules, points, received) is { } error ? WriteOutcome.Refused(error) : null;
        }, cancellationToken, received);

        if (outcome.Code is null)
            return TypedResults.NoContent();
        if (outcome.RetryAfterHeader is { } retryAfter)
            http.Response.Headers.RetryAfter = retryAfter;
        // InfluxDB repeats the code in a header; some clients read it from there.
        http.Response.Headers["X-Platform-Error-Code"] = outcome.Code;
        return TypedResults.Json(new InfluxError(outcome.Code, outcome.Message ?? outcome.Code), statusCode: outcome.Status);
    }
}
