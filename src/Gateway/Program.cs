using Ioc.CatalogHosting;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;

namespace Ioc.Gateway;

/// <summary>The gateway on its own, as an Orleans client of a separate silo cluster.</summary>
public sealed class Program
{
    private Program() { }

    /// <summary>Starts the gateway.</summary>
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddCatalog();
        builder.AddTimeSeriesStore();
        builder.AddClusterClient();
        builder.AddGateway();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        app.RunHub();
    }
}
