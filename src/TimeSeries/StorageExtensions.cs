using Ioc.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ioc.TimeSeries;

/// <summary>Registers the data directory, the time-series options and the embedded store.</summary>
public static class StorageExtensions
{
    /// <summary>
    /// Binds and validates <see cref="StorageOptions"/> and <see cref="TimeSeriesOptions"/>, and makes the
    /// <see cref="EmbeddedStore"/> available; it is opened only by what uses it.
    /// </summary>
    public static IHostApplicationBuilder AddTimeSeriesStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindStrictly(StorageOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<TimeSeriesOptions>().BindStrictly(TimeSeriesOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<EmbeddedStore>();
        builder.Services.AddOptions<RetentionOptions>().BindStrictly(RetentionOptions.Section).ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Registers the <see cref="HistorySource"/> of the configured store: the embedded store's tables, VictoriaMetrics'
    /// <c>query_range</c>, or InfluxDB's Flux; for the process that answers history.
    /// </summary>
    public static IHostApplicationBuilder AddHistoryReader(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(nameof(VictoriaMetricsHistory), (sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value;
            if (options.QueryEndpoint is { } url) http.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            // The resilience pipeline times each attempt out; this only bounds the whole.
            http.Timeout = options.QueryTimeout * 4;
        });
        builder.Services.AddSingleton<HistorySource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value;
            return options.Server switch
            {
                TimeSeriesServer.VictoriaMetrics => new VictoriaMetricsHistory(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(VictoriaMetricsHistory)), options, sp.GetRequiredService<TimeProvider>()),
                TimeSeriesServer.InfluxDB => new InfluxHistory(options),
                _ => new EmbeddedHistory(sp.GetRequiredService<EmbeddedStore>()),
            };
        });
        return builder;
    }

    /// <summary>
    /// Runs the embedded store's retention (<see cref="EmbeddedRetention"/>) and reports the store in the
    /// readiness detail; for the process that writes points. Neither opens the store when points go to a server.
    /// </summary>
    public static IHostApplicationBuilder AddEmbeddedRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(sp => new Lazy<EmbeddedStore>(sp.GetRequiredService<EmbeddedStore>));
        builder.Services.TryAddSingleton(sp => new EmbeddedRetention(
            sp.GetRequiredService<Lazy<EmbeddedStore>>(),
            sp.GetRequiredService<IOptions<RetentionOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<EmbeddedRetention>>())
        {
            Enabled = sp.GetRequiredService<IOptions<TimeSeriesOptions>>().Value.Server == TimeSeriesServer.Embedded,
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedRetention>());
        builder.Services.AddHealthChecks().AddCheck<EmbeddedStoreHealthCheck>(EmbeddedStoreHealthCheck.Name, tags: ["ready"]);
        return builder;
    }
}
