using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Mqtt;
using Ioc.Ingest.Simulation;
using Ioc.Ingest.Storage;
using Ioc.Ingest.Telemetry;
using Ioc.Ingest.Tokens;
using Ioc.ServiceDefaults;

namespace Ioc.Ingest;

/// <summary>Wires the telemetry endpoints into a host, co-hosted with a silo or on their own.</summary>
public static class IngestExtensions
{
    /// <summary>Registers the ingest services: token checks, limits, the parsers, the write-ahead buffer, the live path, the simulator.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().BindStrictly(IngestOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.DevToken) || builder.Environment.IsDevelopment(),
                "Ingest:DevToken is set outside the Development environment; a development token must never reach production.")
            .Validate(o => o.RateLimit.PointsPerSecond <= 0 || o.RateLimit.Burst >= o.MaxPointsPerRequest,
                "Ingest:RateLimit:Burst must be at least Ingest:MaxPointsPerRequest, or a full request could never pass.")
            .Validate(o => o.TokenRefreshPeriod > TimeSpan.Zero && o.TokenMaxStaleness >= o.TokenRefreshPeriod,
                "Ingest:TokenRefreshPeriod must be positive and Ingest:TokenMaxStaleness at least as long.")
            .Validate(o => o.MaxFutureSkew >= TimeSpan.Zero && o.MaxPointAge > TimeSpan.Zero && o.IdempotencyWindow > TimeSpan.Zero,
                "Ingest:MaxFutureSkew, Ingest:MaxPointAge and Ingest:IdempotencyWindow must be positive.")
            .Validate(o => System.ComponentModel.DataAnnotations.Validator.TryValidateObject(o.Tags, new(o.Tags), null, validateAllProperties: true),
                "Ingest:Tags: MaxKeyBytes, MaxValueBytes and MaxPerLine must be positive, MaxNewSeriesPerUnitPerHour at least 0.")
            .ValidateOnStart();
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
