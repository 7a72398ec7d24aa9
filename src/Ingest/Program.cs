using Ioc.Ingest;
using Ioc.ServiceDefaults;

// Ingest on its own, as an Orleans client of a separate silo cluster.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddClusterClient();
builder.AddIngest();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIngest();
app.Run();
