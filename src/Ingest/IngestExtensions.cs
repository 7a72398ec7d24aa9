using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Mqtt;
using Ioc.Ingest.Simulation;
using Ioc.Ingest.Telemetry;
using Ioc.Ingest.Tokens;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;

namespace Ioc.Ingest;

/// <summary>Wires the telemetry endpoints into a host, co-hosted with a silo or on their own.</summary>
public static class IngestExtensions
{
    /// <summary>Registers the ingest services: token checks, limits, the parsers, the write-ahead buffer, the live path, the simulator.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().BindStrictly(IngestOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<SimulatorOptions>().BindStrictly(SimulatorOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<UnitTokenAuthenticator>();
        builder.Services.AddHostedService<UnitTokenRefresh>();
        builder.Services.AddSingleton<RateLimits>();
        builder.Services.AddSingleton<NewSeriesLimit>();
        builder.Services.AddSingleton<IdempotencyCache>();
        builder.Services.AddSingleton<TelemetryLines>();
        builder.Services.AddSingleton<WriteGate>();
        builder.AddTelemetryBuffer();
        builder.Services.AddSingleton<LivePath>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LivePath>());
        builder.Services.AddSingleton<IngestCapacity>();
        builder.Services.AddSingleton<TelemetryIngestor>();
        builder.AddMqttIngest();
        if (builder.Configuration.GetValue<bool>($"{SimulatorOptions.Section}:{nameof(SimulatorOptions.Enabled)}"))
            builder.Services.AddHostedService<Simulator>();
        return builder;
    }

    /// <summary>Maps the telemetry endpoints (JSON and InfluxDB line protocol) and the token admin API.</summary>
    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app) => app
        .MapTelemetryEndpoints()
        .MapInfluxWrite()
        .MapTokenAdminEndpoints();
}
