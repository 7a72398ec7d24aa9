using Ioc.Contracts;
using Ioc.Contracts.Supervision;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Reports;

/// <summary>The People's Council's supervision report, for supervisors: as JSON, as an Excel workbook and as a print-ready page.</summary>
public static class SupervisionEndpoints
{
    /// <summary>Registers what the report endpoints need.</summary>
    public static IHostApplicationBuilder AddReports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SupervisionReports>();
        return builder;
    }

    /// <summary>
    /// Maps <c>GET /api/v1/reports/supervision?scope=&amp;period=</c> and the same with <c>.xlsx</c> and <c>.html</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var reports = app.MapGroup("/api/v1/reports").RequireAuthorization(HubPolicies.Supervise);
        reports.MapGet("/supervision", GetJson).WithName("GetSupervisionReport");
        reports.MapGet("/supervision.xlsx", GetWorkbook).WithName("ExportSupervisionReportWorkbook");
        reports.MapGet("/supervision.html", GetPage).WithName("PrintSupervisionReport");
        return app;
    }

    internal static async Task<Results<Ok<SupervisionReport>, ProblemHttpResult>> GetJson(
        string? scope, string? period, Catalog catalog, SupervisionReports reports, TimeProvider time, CancellationToken cancellationToken)
    {
        var (report, problem) = await Compute(scope, period, catalog, reports, time, cancellationToken);
        return report is null ? problem! : TypedResults.Ok(report);
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetWorkbook(
        string? scope, string? period, Catalog catalog, SupervisionReports reports, TimeProvider time, CancellationToken cancellationToken)
    {
        var (report, problem) = await Compute(scope, period, catalog, reports, time, cancellationToken);
        return report is null ? problem! : TypedResults.File(SupervisionWorkbook.Write(report), SupervisionWorkbook.ContentType, SupervisionWorkbook.FileName(report));
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetPage(
        string? scope, string? period, Catalog catalog, SupervisionReports reports, TimeProvider time, HttpContext context, CancellationToken cancellationToken)
    {
        var (report, problem) = await Compute(scope, period, catalog, reports, time, cancellationToken);
        if (report is null) return problem!;
        context.Response.Headers.ContentSecurityPolicy = SupervisionPage.ContentSecurityPolicy;
        return TypedResults.Content(SupervisionPage.Write(report, catalog.Province), SupervisionPage.ContentType);
    }

    private static async Task<(SupervisionReport? Report, ProblemHttpResult? Problem)> Compute(
        string? scope, string? period, Catalog catalog, SupervisionReports reports, TimeProvider time, CancellationToken cancellationToken)
    {
        CatalogEntity entity;
        if (string.IsNullOrEmpty(scope))
            entity = catalog.Province;
        else if (!catalog.TryGetEntity(scope, out entity))
            return (null, Invalid("scope", $"The query parameter 'scope' names '{scope}', which is not an entity in the catalog; use the province, a locality, a department, a project or a unit id, such as 'van-lam'."));
        if (string.IsNullOrEmpty(period))
            return (null, Invalid("period", "The query parameter 'period' is required: a month (2026-11), a quarter (2026-Q4) or a year (2026)."));
        if (!SupervisionPeriod.TryParse(period, out var p))
            return (null, Invalid("period", $"The query parameter 'period' is '{period}', which is not a period; use a month (2026-11), a quarter (2026-Q4) or a year (2026), from {SupervisionPeriod.MinYear} on."));
        if (p.Start > time.GetUtcNow())
            return (null, Invalid("period", $"The period '{p}' has not begun yet; it starts {p.Start:yyyy-MM-dd} (Vietnam time)."));
        try
        {
            return (await reports.Build(entity, p, cancellationToken), null);
        }
        catch (HistoryUnavailableException ex)
        {
            return (null, TypedResults.Problem($"The time-series store could not answer: {ex.Message}",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "History unavailable"));
        }
    }

    private static ProblemHttpResult Invalid(string parameter, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: $"Invalid '{parameter}'",
            extensions: new Dictionary<string, object?> { ["parameter"] = parameter });
}
