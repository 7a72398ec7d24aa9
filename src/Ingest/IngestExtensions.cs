using Ioc.Ingest.Simulation;
using Ioc.Ingest.Storage;
using Ioc.Ingest.Telemetry;

namespace Ioc.Ingest;

/// <summary>Wires the telemetry endpoints into a host, co-hosted with a silo or on their own.</summary>
public static class IngestExtensions
{
    /// <summary>Registers the ingest services: token checks, the write-ahead buffer, the live path, the simulator.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.DevToken) || builder.Environment.IsDevelopment(),
                "Ingest:DevToken is set outside the Development environment; a development token must never reach production.")
            .ValidateOnStart();
        builder.Services.AddOptions<SimulatorOptions>().BindConfiguration(SimulatorOptions.Section);
        builder.Services.AddSingleton<UnitTokens>();
        builder.AddTelemetryBuffer();
        builder.Services.AddSingleton<LivePath>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LivePath>());
        builder.Services.AddSingleton<TelemetryIngestor>();
        if (builder.Configuration.GetValue<bool>($"{SimulatorOptions.Section}:{nameof(SimulatorOptions.Enabled)}"))
            builder.Services.AddHostedService<Simulator>();
        return builder;
    }

    /// <summary>Maps the telemetry endpoints.</summary>
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app) => app.MapTelemetryEndpoints();
}
