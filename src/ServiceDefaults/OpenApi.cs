using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Ioc.ServiceDefaults;

/// <summary>
/// The hub's OpenAPI description at <c>/openapi/v1.json</c> (ASP.NET Core's own generator) with its two
/// sign-in schemes: <c>Bearer</c> for people and <c>Token</c> for units. In Development an interactive page
/// (Scalar) shows it at <c>/scalar</c>.
/// </summary>
public static class OpenApiExtensions
{
    /// <summary>The scheme people sign in with.</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>The scheme units write with.</summary>
    public const string UnitTokenScheme = "Token";

    /// <summary>Endpoints that take a unit token rather than a person's sign-in.</summary>
    private static readonly HashSet<string> UnitEndpoints = ["/api/v1/telemetry", "/api/v2/write"];

    /// <summary>Registers the document and its transformers.</summary>
    public static IHostApplicationBuilder AddHubOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Hưng Yên IOC data hub",
                    Version = "v1",
                    Description = "Telemetry ingest (JSON, InfluxDB line protocol), the entity tree and snapshots, history, " +
                        "alerts, targets, low achievement, compliance and unit tokens. Units write with 'Authorization: Token <unit token>'; " +
                        "people sign in with a JWT bearer token carrying a role (operator, supervisor, admin).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "People: a JWT with a role claim (operator, supervisor or admin).",
                };
                document.Components.SecuritySchemes[UnitTokenScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "Authorization",
                    Description = "Units: 'Token <unit token>', as issued by 'hubctl tokens create'.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var route = "/" + (context.Description.RelativePath ?? "").TrimStart('/');
                OpenApiExamples.Apply(operation, context.Description.HttpMethod ?? "", route);
                string? scheme = UnitEndpoints.Contains(route) ? UnitTokenScheme
                    : context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any() ? BearerScheme : null;
                if (scheme is null) return Task.CompletedTask;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
                operation.Responses ??= new OpenApiResponses();
                operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid sign-in or token." });
                if (scheme == BearerScheme)
                    operation.Responses.TryAdd("403", new OpenApiResponse { Description = "Signed in, but the role may not do this." });
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>Maps <c>/openapi/v1.json</c>, and in Development the interactive page at <c>/scalar</c>.</summary>
    public static WebApplication MapHubOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
            app.MapScalarApiReference();
        return app;
    }
}
