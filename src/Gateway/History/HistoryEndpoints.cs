using Ioc.Contracts;
using Ioc.Gateway.Export;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Ioc.Gateway.History;

/// <summary>A metric's history for drill-down: one unit's, or rolled up over the units under an entity.</summary>
public static class HistoryEndpoints
{
    /// <summary>The answer to a history request.</summary>
    /// <param name="Entity">The unit, locality, department, project or province asked about.</param>
    /// <param name="Metric">Catalog metric id.</param>
    /// <param name="Agg">How the values of each step were combined.</param>
    /// <param name="From">Start of the first step.</param>
    /// <param name="To">End of the range (exclusive).</param>
    /// <param name="StepSeconds">Length of a step.</param>
    /// <param name="Points">The steps that hold any value, each at its start.</param>
    public sealed record HistoryResponse(
        string Entity, string Metric, string Agg, DateTimeOffset From, DateTimeOffset To, long StepSeconds, IReadOnlyList<HistoryPoint> Points);

    /// <summary>Registers the history API's options and the history reader of the configured store.</summary>
    public static IHostApplicationBuilder AddHistory(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HistoryOptions>().BindStrictly(HistoryOptions.Section).ValidateOnStart();
        builder.AddHistoryReader();
        return builder;
    }

    /// <summary>Maps <c>GET /api/v1/entities/{id}/metrics/{metric}/history</c>, for supervisors.</summary>
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").RequireAuthorization(HubPolicies.Supervise)
            .MapGet("/entities/{id}/metrics/{metric}/history", GetHistory).WithName("GetMetricHistory");
        app.MapGroup("/api/v1").RequireAuthorization(HubPolicies.Supervise)
            .MapGet("/entities/{id}/metrics/{metric}/history.csv", GetHistoryCsv).WithName("ExportMetricHistory");
        return app;
    }

    /// <summary>The same history as CSV for Excel: UTF-8 with a BOM, one row per step.</summary>
    internal static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> GetHistoryCsv(
        string id, string metric, string? from, string? to, string? step, string? agg,
        Catalog catalog, HistorySource source, IOptions<HistoryOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var answer = await GetHistory(id, metric, from, to, step, agg, catalog, source, options, time, loggers, cancellationToken);
        if (answer.Result is not Ok<HistoryResponse> { Value: { } history })
            return (ProblemHttpResult)answer.Result;
        var entity = catalog.Entity(history.Entity);
        var definition = catalog.Metric(history.Metric);
        return TypedResults.Stream(
            body => HistoryCsv.WriteAsync(body, entity, definition, history.Points.Select(p => (p.Ts, p.Value)).ToAsyncEnumerable()),
            CsvWriter.ContentType, HistoryCsv.FileName(entity.Id, definition.Id));
    }

    internal static async Task<Results<Ok<HistoryResponse>, ProblemHttpResult>> GetHistory(
        string id, string metric, string? from, string? to, string? step, string? agg,
        Catalog catalog, HistorySource source, IOptions<HistoryOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!catalog.TryGetEntity(id, out var entity))
            return NotFound("Unknown entity", $"There is no entity '{id}' in the catalog.");
        if (!catalog.TryGetMetric(metric, out var definition))
            return NotFound("Unknown metric", $"There is no metric '{metric}' in the catalog.");
        var units = catalog.UnitsUnder(entity.Id).Where(u => catalog.Entity(u).Metrics.Contains(definition.Id)).ToList();
        if (units.Count == 0)
            return NotFound("Unknown metric", $"No unit under '{entity.Id}' reports metric '{definition.Id}'.");

        var settings = options.Value;
        DateTimeOffset end;
        if (string.IsNullOrWhiteSpace(to))
            end = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        else if (HistoryParameters.ParseTime(to) is { } t)
            end = t;
        else
            return Invalid("to", $"'{to}' is not a time; use ISO 8601 such as 2026-11-27T08:00:00Z, or unix seconds.");
        DateTimeOffset start;
        if (string.IsNullOrWhiteSpace(from))
            start = end - settings.DefaultRange;
        else if (HistoryParameters.ParseTime(from) is { } f)
            start = f;
        else
            return Invalid("from", $"'{from}' is not a time; use ISO 8601 such as 2026-11-27T08:00:00Z, or unix seconds.");
        if (start >= end)
            return Invalid("from", $"'from' ({start:O}) must be earlier than 'to' ({end:O}).");

        TimeSpan width;
        if (string.IsNullOrWhiteSpace(step))
            width = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((end - start).TotalSeconds / settings.DefaultSteps)));
        else if (HistoryParameters.ParseStep(step) is { } s && s >= TimeSpan.FromSeconds(1) && s.Ticks % TimeSpan.TicksPerSecond == 0)
            width = s;
        else
            return Invalid("step", $"'{step}' is not a step; use whole seconds (300) or a duration such as 30s, 5m, 1h, 1d.");

        HistoryAggregate aggregate;
        if (string.IsNullOrWhiteSpace(agg))
            aggregate = HistoryAggregate.Avg;
        else if (HistoryParameters.ParseAggregate(agg) is { } a)
            aggregate = a;
        else
            return Invalid("agg", $"'{agg}' is not an aggregate; use avg, min, max, sum, count or last.");

        var query = new HistoryQuery(definition.Id, units, start, end, width, aggregate);
        if (query.Steps > settings.MaxSteps)
            return Invalid("step", $"A step of {(long)width.TotalSeconds} s gives {query.Steps} steps over this range; at most {settings.MaxSteps} are allowed. Use a longer step or a shorter range.");

        IReadOnlyList<HistoryPoint> points;
        try
        {
            points = await source.Query(query, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            loggers.CreateLogger(typeof(HistoryEndpoints)).LogWarning(ex, "History of {Metric} under {Entity} could not be read", definition.Id, entity.Id);
            return TypedResults.Problem($"The time-series store could not answer: {ex.Message}",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "History unavailable");
        }
        return TypedResults.Ok(new HistoryResponse(entity.Id, definition.Id, aggregate.ToString().ToLowerInvariant(), start, end, (long)width.TotalSeconds, points));
    }

    private static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: title);

    private static ProblemHttpResult Invalid(string parameter, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: $"Invalid '{parameter}'",
            extensions: new Dictionary<string, object?> { ["parameter"] = parameter });
}
