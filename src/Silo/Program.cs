using Ioc.Gateway;
using Ioc.Ingest;
using Ioc.ServiceDefaults;
using Ioc.Silo.Hosting;

// The whole hub in one process: silo, gateway and ingest, on embedded defaults.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHubSilo();
builder.AddGateway();
builder.AddIngest();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.MapIngest();
app.Run();

/// <summary>The one-command hub's entry point, visible to the tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
