using System.Runtime.CompilerServices;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ioc.CatalogHosting;

/// <summary>Gives a host the domain catalog: every hub process calls <see cref="AddCatalog"/> once, after <c>AddServiceDefaults</c>.</summary>
public static class CatalogExtensions
{
    /// <summary>Readiness condition met once the catalog has loaded.</summary>
    public const string CatalogLoaded = "catalog loaded";

    /// <summary>
    /// Loads the catalog named by <c>Hub:CatalogPath</c> and registers it as a singleton. A bad catalog stops
    /// start-up with a message naming the entry; a good one meets the <see cref="CatalogLoaded"/> readiness condition.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        Catalog catalog;
        try
        {
            var hub = builder.Configuration.GetStrictly<HubOptions>(HubOptions.Section);
            // Loaded here, not lazily, so that a bad catalog stops start-up with a message naming the entry.
            catalog = Catalog.Load(hub.ResolvedCatalogPath);
        }
        catch (Exception ex) when (ex is CatalogException or InvalidOperationException or OptionsValidationException)
        {
            throw HubHostExtensions.StopForConfiguration(System.Reflection.Assembly.GetCallingAssembly(), ex);
        }
        builder.Services.AddSingleton(catalog);
        // The catalog is loaded before the host is built; readiness hears of it when the host starts, as it
        // hears of the cluster client (the Readiness instance is the service defaults' own).
        builder.Services.AddReadinessOnStart(CatalogLoaded);
        return builder;
    }
}
