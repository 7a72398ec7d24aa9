using Ioc.CatalogHosting;
using Ioc.Gateway;
using Ioc.Ingest;
using Ioc.ServiceDefaults;
using Ioc.Silo.Hosting;
using Ioc.TimeSeries;

// By default the whole hub in one process: silo, gateway and ingest, on embedded defaults.
// In cluster mode (Cluster:Mode=Postgres) this process is a silo only; Gateway and Ingest run on their own.
var builder = WebApplication.CreateBuilder(args);
var oneCommand = builder.CoHostsGatewayAndIngest();
builder.AddServiceDefaults();
builder.AddCatalog();
builder.AddTimeSeriesStore();
builder.AddHubSilo();
if (oneCommand)
{
    builder.AddGateway();
    builder.AddIngest();
}

var app = builder.Build();
app.MapDefaultEndpoints();
if (oneCommand)
{
    app.MapGateway();
    app.MapIngest();
}
app.RunHub();

/// <summary>The one-command hub's entry point, visible to the tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
