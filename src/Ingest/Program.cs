using Ioc.CatalogHosting;
using Ioc.ServiceDefaults;
using Ioc.TimeSeries;

namespace Ioc.Ingest;

/// <summary>Ingest on its own, as an Orleans client of a separate silo cluster.</summary>
public sealed class Program
{
    private Program() { }

    /// <summary>Starts the ingest process.</summary>
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddCatalog();
        builder.AddTimeSeriesStore();
        builder.AddClusterClient();
        builder.AddIngest();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapIngest();
        app.RunHub();
    }
}
