using Ioc.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Ioc.TimeSeries;

/// <summary>Wires the write-ahead buffer, its drainer and the store writer into a host.</summary>
public static class BufferExtensions
{
    /// <summary>Health check name of the buffer and store in the readiness detail.</summary>
    public const string HealthCheckName = "time-series";

    /// <summary>Registers the buffer (opened, and recovered, on first use), the drainer, metrics and readiness.</summary>
    public static IHostApplicationBuilder AddTelemetryBuffer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BufferOptions>().BindStrictly(BufferOptions.Section).ValidateOnStart();
        // Shutdown must leave the drainer its drain timeout, with room for the rest of the host to stop.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<BufferOptions>>((host, buffer) =>
        {
            var needed = buffer.Value.DrainTimeout + RestOfShutdown;
            if (host.ShutdownTimeout < needed) host.ShutdownTimeout = needed;
        });

        builder.Services.AddSingleton(sp => new WriteAheadLog(
            Path.Combine(DataDirectory(sp), "buffer"),
            sp.GetRequiredService<IOptions<BufferOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WriteAheadLog>>()));
        builder.Services.AddSingleton(sp => new DeadLetters(Path.Combine(DataDirectory(sp), "dead-letter")));
        builder.Services.AddSingleton<DrainStatus>();
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<LineProtocolFormatter>();
        builder.Services.AddSingleton<TimeSeriesWriter>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value;
            return options.Server == TimeSeriesServer.Embedded
                ? new EmbeddedWriter(sp.GetRequiredService<EmbeddedStore>())
                : new InfluxWriter(options, sp.GetRequiredService<LineProtocolFormatter>());
        });
        builder.Services.AddSingleton<BufferDrainer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BufferDrainer>());
        builder.Services.AddHealthChecks().AddCheck<BufferHealthCheck>(HealthCheckName, tags: ["ready"]);
        builder.AddEmbeddedRetention();
        return builder;
    }

    // What the host needs besides the drain to stop: the live path, the cluster client, the web server.
    private static readonly TimeSpan RestOfShutdown = TimeSpan.FromSeconds(15);

    private static string DataDirectory(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.ResolveDataDirectory(services.GetRequiredService<IHostEnvironment>());
}
