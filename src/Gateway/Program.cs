using Ioc.Gateway;
using Ioc.ServiceDefaults;

// The gateway on its own, as an Orleans client of a separate silo cluster.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddClusterClient();
builder.AddGateway();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.Run();
