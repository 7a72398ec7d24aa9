using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;

namespace Ioc.Tests.Observability;

public sealed class TelemetryExportTests
{
    /// <summary>The hub with OTLP pointed at a collector of the test's own, exporting metrics every half second.</summary>
    private sealed class ExportingHub(Uri collector) : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_configured_the_hub_exports_Orleans_own_metrics_there()
    {
        var exports = Channel.CreateUnbounded<string>();
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            // Protobuf keeps strings as UTF-8, so a meter's name shows in the raw export.
            exports.Writer.TryWrite(Encoding.UTF8.GetString(body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync(Cancel);

        using var hub = new ExportingHub(new Uri($"http://127.0.0.1:{port}"));
        hub.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var export in exports.Reader.ReadAllAsync(timeout.Token))
            if (export.Contains("Microsoft.Orleans", StringComparison.Ordinal))
                return;
    }

    [Fact]
    public void Without_an_OTLP_endpoint_nothing_is_collected()
    {
        using var hub = new HubFactory();
        hub.CreateClient();
        Assert.Null(hub.Services.GetService<MeterProvider>());
    }
}
