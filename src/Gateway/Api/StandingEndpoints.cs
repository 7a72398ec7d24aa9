using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.Gateway.Export;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Api;

/// <summary>Where a scope stands on its targets and its reporting duties; for supervisors.</summary>
public static class StandingEndpoints
{
    /// <summary>The low-achievement CSV's header row.</summary>
    public static readonly string[] LowAchievementHeader =
        ["unit", "unitName", "locality", "localityName", "metric", "metricName", "unitOfMeasure", "value", "target", "direction", "gap", "since", "timestamp"];

    /// <summary>Maps <c>/api/v1/low-achievement</c> (JSON, or CSV with <c>format=csv</c>), <c>/api/v1/low-achievement.csv</c> and <c>/api/v1/compliance</c>.</summary>
    public static IEndpointRouteBuilder MapStandingEndpoints(this IEndpointRouteBuilder app)
    {
        // Read-only lists are for every screen (an operator's wall must show what is below target);
        // the exports stay with supervisors.
        var api = app.MapGroup("/api/v1").RequireAuthorization(HubPolicies.Watch);
        api.MapGet("/low-achievement", GetLowAchievement).AddEndpointFilter(MeEndpoints.CsvNeedsSupervise);
        api.MapGet("/low-achievement.csv", (string? scope, Catalog catalog, IGrainFactory grains, TimeProvider time) =>
            GetLowAchievement(scope, "csv", catalog, grains, time)).RequireAuthorization(HubPolicies.Supervise);
        api.MapGet("/compliance", GetCompliance);
        return app;
    }

    internal static async Task<Results<Ok<ImmutableArray<LowAchievement>>, PushStreamHttpResult, ProblemHttpResult>> GetLowAchievement(
        string? scope, string? format, Catalog catalog, IGrainFactory grains, TimeProvider time)
    {
        if (Scopes.Resolve(catalog, scope) is not { } entity)
            return Scopes.Unknown(scope);
        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        if (!csv && !string.IsNullOrEmpty(format) && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem($"The query parameter 'format' is '{format}'; use 'json' or 'csv'.", statusCode: StatusCodes.Status400BadRequest, title: "Unknown format");

        var standings = await grains.StandingsUnder(catalog, entity);
        var list = standings.SelectMany(s => s.BelowTarget)
            .OrderBy(l => l.Locality, StringComparer.Ordinal).ThenBy(l => l.Unit, StringComparer.Ordinal).ThenBy(l => l.Metric, StringComparer.Ordinal)
            .ToImmutableArray();
        if (!csv)
            return TypedResults.Ok(list);

        var day = time.GetUtcNow().ToOffset(ReportingPeriod.VietnamOffset).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Stream(async body =>
        {
            await using var writer = new CsvWriter(body);
            await writer.WriteRowAsync(LowAchievementHeader);
            foreach (var l in list)
            {
                await writer.WriteRowAsync(
                    l.Unit, l.UnitName, l.Locality, l.LocalityName, l.Metric, l.MetricName, l.UnitOfMeasure,
                    CsvWriter.Number(l.Value), CsvWriter.Number(l.Target), l.Direction == TargetDirection.AtLeast ? "atLeast" : "atMost",
                    CsvWriter.Number(l.Gap), CsvWriter.Time(l.Since), CsvWriter.Time(l.Timestamp));
            }
        }, CsvWriter.ContentType, $"low-achievement-{entity.Id}-{day}.csv");
    }

    internal static async Task<Results<Ok<ImmutableArray<MissingReport>>, ProblemHttpResult>> GetCompliance(
        string? scope, Catalog catalog, IGrainFactory grains)
    {
        if (Scopes.Resolve(catalog, scope) is not { } entity)
            return Scopes.Unknown(scope);
        var standings = await grains.StandingsUnder(catalog, entity);
        return TypedResults.Ok(standings.SelectMany(s => s.NotReported)
            .OrderBy(m => m.Locality, StringComparer.Ordinal).ThenBy(m => m.Unit, StringComparer.Ordinal).ThenBy(m => m.Metric, StringComparer.Ordinal)
            .ToImmutableArray());
    }
}
