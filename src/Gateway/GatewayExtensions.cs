using Ioc.Gateway.Api;
using Ioc.Gateway.History;
using Ioc.Gateway.Live;
using Ioc.Gateway.Reports;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.FileProviders;

namespace Ioc.Gateway;

/// <summary>Wires the screens' side of the hub into a host, co-hosted with a silo or on its own.</summary>
public static class GatewayExtensions
{
    /// <summary>Registers SignalR, the live feed, the read API and history.</summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LivePushOptions>().BindStrictly(LivePushOptions.Section).ValidateOnStart();
        builder.Services.AddSignalR().AddJsonProtocol(o => ServiceDefaultsExtensions.Configure(o.PayloadSerializerOptions));
        builder.Services.AddSingleton<Screens>();
        builder.Services.AddSingleton<ScreenReads>();
        builder.Services.AddSingleton<LiveFeedRegistration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveFeedRegistration>());
        builder.Services.AddHostedService<ScreenWarmup>();
        // As an Orleans client, the process hears when it loses a silo's gateway, and registers its feed again at once.
        builder.Services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<LiveFeedRegistration>());
        builder.AddHistory();
        builder.Services.AddSingleton<EntityDirectory>();
        // Brotli or gzip for the read API and the wall's files. Safe over HTTPS here: bearer tokens travel
        // in a header, never in a cookie a cross-site page could make the browser send (BREACH).
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
        });
        builder.AddReports();
        return builder;
    }

    /// <summary>Maps the hub, the read API, history, targets, low achievement, compliance, alerts and the wall page.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.UseResponseCompression();
        var wall = Path.Combine(AppContext.BaseDirectory, "wall");
        if (Directory.Exists(wall))
        {
            var files = new PhysicalFileProvider(wall);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
        app.MapHub<LiveHub>("/hubs/live").RequireAuthorization(HubPolicies.Watch);
        app.MapDevelopmentTokens();
        app.MapEntityEndpoints();
        app.MapMeEndpoints();
        app.MapStandingEndpoints();
        app.MapAlertEndpoints();
        app.MapTargetEndpoints();
        app.MapHistoryEndpoints();
        app.MapReportEndpoints();
        return app;
    }
}
