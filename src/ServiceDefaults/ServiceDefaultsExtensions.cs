using System.Text.Json;
using System.Text.Json.Serialization;
using Ioc.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Ioc.ServiceDefaults;

/// <summary>What every hub process sets up the same way: JSON, health and readiness, authentication and telemetry.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The JSON shape of the public API and the live hub: camelCase, enums as camelCase strings.</summary>
    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
    }

    /// <summary>Sets up the shared options, JSON, health checks, readiness, authentication and telemetry.</summary>
    /// <remarks>
    /// The catalog (<c>AddCatalog</c>, in Ioc.Catalog) and the time-series store (<c>AddTimeSeriesStore</c>, in
    /// Ioc.TimeSeries) are the hosts' to add.
    /// </remarks>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubOptions>().BindStrictly(HubOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddKeyedSingleton(DomainClock.Key, TimeProvider.System);

        builder.Services.AddSingleton(new Readiness());
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<ReadinessHealthCheck>("ready", tags: ["ready"])
            .AddCheck<ProcessResourcesHealthCheck>("resources", tags: ["ready"]);
        builder.Services.AddSingleton<ProcessResources>();
        // Kestrel's limits from configuration (Kestrel:Limits:MaxConcurrentConnections, …): the limits readiness measures against.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => builder.Configuration.GetSection("Kestrel:Limits").Bind(o.Limits));
        builder.Services.Configure<JsonOptions>(o => Configure(o.SerializerOptions));
        builder.AddClientFaults();
        builder.AddHubAuthentication();
        builder.AddQuietLogging();
        builder.AddObservability();
        builder.AddHubOpenApi();
        return builder;
    }

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c>; readiness answers 503 until every condition is met.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseClientFaults();
        app.UseSecurityHeaders();
        // Counting connections from their opening deltas: it must listen before Kestrel takes the first one.
        app.Services.GetRequiredService<ProcessResources>();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = WriteDetail,
        });
        app.MapHubOpenApi();
        app.MapObservability();
        return app;
    }

    private static Task WriteDetail(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        });
    }
}
