using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ioc.ServiceDefaults;

/// <summary>OpenTelemetry traces and metrics, exported over OTLP when an endpoint is configured, and metrics scraped in the Prometheus format when asked.</summary>
public static class ObservabilityExtensions
{
    /// <summary>Meters every hub process exports: Orleans' own, the hub's, ASP.NET Core's and the runtime's.</summary>
    public static readonly string[] Meters =
    [
        "Microsoft.Orleans",
        "Ioc.*",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "System.Runtime",
        "System.Net.Http",
    ];

    /// <summary>Activity sources traced: Orleans grain calls (with activity propagation on) and the hub's own.</summary>
    public static readonly string[] Sources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Ioc.*"];

    /// <summary>
    /// Log levels every process starts from, below every other configuration source so that appsettings, the
    /// environment or the command line can turn any of them up again. At the shipped <c>Information</c> level a
    /// busy process writes a line per failure, not per request (ASP.NET Core's request start and finish lines),
    /// per outgoing HTTP call, or per successful Polly attempt; Orleans' Information lines include the storage
    /// provider's connection string.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> QuietLogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Warning",
    };

    /// <summary>Adds <see cref="QuietLogLevels"/> as the lowest-priority configuration source.</summary>
    public static IHostApplicationBuilder AddQuietLogging(this IHostApplicationBuilder builder)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = QuietLogLevels });
        return builder;
    }

    /// <summary>
    /// When <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured (the standard OpenTelemetry variable, read from any
    /// configuration source), exports traces and metrics there over OTLP. With <c>Observability:PrometheusScraping</c>
    /// on, also keeps the metrics for <see cref="MapObservability"/>'s scrape endpoint. With neither, adds nothing, so
    /// a process without a collector pays nothing. The other standard <c>OTEL_*</c> variables (protocol, headers,
    /// <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>) apply as usual.
    /// </summary>
    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ObservabilityOptions>().BindStrictly(ObservabilityOptions.Section).ValidateOnStart();
        var scraping = ScrapingOn(builder.Configuration);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!otlp && !scraping)
            return builder;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Environment.ApplicationName, serviceInstanceId: Environment.MachineName))
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation().AddMeter(Meters);
                // No response cache (300 ms by default): each scrape shows the counts as of that scrape, and a
                // scraper every 15 s costs one collection each time.
                if (scraping) m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            });
        if (otlp)
        {
            telemetry.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http =>
                        !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments(ObservabilityOptions.ScrapePath))
                    .AddSource(Sources))
                .UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>
    /// Maps <see cref="ObservabilityOptions.ScrapePath"/> in the Prometheus text format when
    /// <c>Observability:PrometheusScraping</c> is on. It is anonymous, like <c>/health</c>, since scrapers carry no
    /// token: scrape each process directly, and deny the path on an Ingress that routes <c>/</c> to the process.
    /// </summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        if (ScrapingOn(app.Configuration))
            app.MapPrometheusScrapingEndpoint(ObservabilityOptions.ScrapePath);
        return app;
    }

    // Read loosely while the host is built and mapped; the strict binding validated on start stops start-up on a
    // misspelt key with the hub's one-line message instead of a stack trace from here.
    private static bool ScrapingOn(IConfiguration configuration) =>
        bool.TryParse(configuration[$"{ObservabilityOptions.Section}:{nameof(ObservabilityOptions.PrometheusScraping)}"], out var on) && on;
}

/// <summary>How a process exposes its own metrics besides OTLP.</summary>
public sealed class ObservabilityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Observability";

    /// <summary>Where the scrape endpoint answers.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>
    /// Serve every meter of <see cref="ObservabilityExtensions.Meters"/> at <see cref="ScrapePath"/> in the
    /// Prometheus text format, for VictoriaMetrics (<c>-promscrape.config</c>), vmagent or Prometheus to scrape; the
    /// Grafana dashboard of the hub's health reads these series. Off by default.
    /// </summary>
    public bool PrometheusScraping { get; set; }
}
