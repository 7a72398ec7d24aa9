using System.Collections.Concurrent;
using System.IO.Compression;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Ioc.Tests.Storage;

/// <summary>The writer to a time-series server: buffered lines go as the bytes they are, through InfluxDB.Client's write service.</summary>
public sealed class InfluxWriterTests
{
    private static readonly Contracts.Catalog Catalog = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    private sealed record Received(string Path, string Query, string? Encoding, string? Authorization, string Body);

    // A server that speaks the InfluxDB write API, keeps what each write carried, and answers with the given status.
    private static async Task<(WebApplication Server, string Url, ConcurrentQueue<Received> Writes)> Server(int status)
    {
        var port = FreePort.Next();
        var writes = new ConcurrentQueue<Received>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var server = builder.Build();
        server.MapPost("/api/v2/write", async (HttpRequest request) =>
        {
            var encoding = request.Headers.ContentEncoding.ToString();
            Stream body = encoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
            using var reader = new StreamReader(body);
            writes.Enqueue(new(request.Path, request.QueryString.Value ?? "", encoding, request.Headers.Authorization.ToString(), await reader.ReadToEndAsync()));
            return status == 204 ? Results.NoContent() : Results.Json(new { code = "invalid", message = "refused here" }, statusCode: status);
        });
        await server.StartAsync(Cancel);
        return (server, $"http://127.0.0.1:{port}", writes);
    }

    private static PointBatch Batch(params string[] requests)
    {
        var batch = new PointBatch(16);
        foreach (var lines in requests)
            batch.AddLines(Encoding.UTF8.GetBytes(lines), lines.Split('\n').Length, WritePrecision.Ms);
        return batch;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_of_buffered_lines_reaches_the_server_as_one_body_with_the_clients_token_precision_and_gzip(bool gzip)
    {
        var (server, url, writes) = await Server(204);
        await using var _ = server;
        using var writer = new InfluxWriter(
            new TimeSeriesOptions { Server = TimeSeriesServer.VictoriaMetrics, Url = url, Token = "secret", Gzip = gzip }, new LineProtocolFormatter(Catalog));
        Assert.True(writer.WritesBytes);

        var batch = Batch(
            "telemetry,locality=van-lam,unit=van-lam-air-1,trạm=cổng\\ số\\ 2 pm25=35.25 1796327813413",
            "telemetry,locality=yen-my,unit=yen-my-air-1 pm25=12,aqi=40 1796327813414\ntelemetry,locality=yen-my,unit=yen-my-air-1 pm25=13 1796327813415");
        await writer.Write(batch, Cancel);

        var write = Assert.Single(writes);
        // The lines, then nothing but empty lines, which the server skips.
        var lines = Encoding.UTF8.GetString(batch.Lines);
        Assert.StartsWith(lines, write.Body, StringComparison.Ordinal);
        Assert.Equal("", write.Body[lines.Length..].Trim('\n'));
        Assert.Equal(3, write.Body.TrimEnd('\n').Split('\n').Length);
        Assert.Equal("Token secret", write.Authorization);
        Assert.Contains("precision=ms", write.Query, StringComparison.Ordinal);
        Assert.Contains("bucket=ioc", write.Query, StringComparison.Ordinal);
        Assert.Equal(gzip ? "gzip" : "identity", write.Encoding);
    }

    [Fact]
    public async Task A_gzipped_body_of_buffered_lines_is_stored_by_VictoriaMetrics_value_for_value()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        using var writer = new InfluxWriter(
            new TimeSeriesOptions { Server = TimeSeriesServer.VictoriaMetrics, Url = vm.Url, Gzip = true }, new LineProtocolFormatter(Catalog));
        var at = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();

        await writer.Write(Batch(
            $"telemetry,locality=van-lam,unit=van-lam-air-1 pm25=35.25,aqi=81 {at}",
            $"telemetry,locality=yen-my,unit=yen-my-air-1 pm25=12.5 {at + 1}\ntelemetry,locality=yen-my,unit=yen-my-air-1 pm25=13.5 {at + 2}"), Cancel);

        var samples = await vm.Export("{unit=~\"van-lam-air-1|yen-my-air-1\"}", Cancel);
        Assert.Equal(
            [("telemetry_aqi", "van-lam-air-1", at, 81.0), ("telemetry_pm25", "van-lam-air-1", at, 35.25),
             ("telemetry_pm25", "yen-my-air-1", at + 1, 12.5), ("telemetry_pm25", "yen-my-air-1", at + 2, 13.5)],
            samples.Select(x => (x.Name, x.Labels["unit"], x.TimestampMs, x.Value)).Order());
    }

    [Fact]
    public async Task A_refusal_by_the_server_is_the_clients_own_error_so_that_the_pipeline_sets_the_batch_aside()
    {
        var (server, url, _) = await Server(400);
        await using var __ = server;
        using var writer = new InfluxWriter(new TimeSeriesOptions { Server = TimeSeriesServer.VictoriaMetrics, Url = url }, new LineProtocolFormatter(Catalog));

        var refused = await Assert.ThrowsAnyAsync<HttpException>(() => writer.Write(Batch("telemetry,unit=van-lam-air-1 pm25=1 1796327813413"), Cancel));
        Assert.True(WritePipeline.IsRejection(refused));
    }

    [Fact]
    public void A_batch_joins_requests_of_one_precision_with_a_line_feed_pads_its_body_with_empty_lines_and_is_emptied_for_reuse()
    {
        var batch = Batch("a v=1 1", "b v=2 2\nc v=3 3");
        Assert.Equal("a v=1 1\nb v=2 2\nc v=3 3", Encoding.UTF8.GetString(batch.Lines));
        Assert.Equal(3, batch.Count);
        var body = batch.Body();
        Assert.Equal("a v=1 1\nb v=2 2\nc v=3 3", Encoding.UTF8.GetString(body).TrimEnd('\n'));
        Assert.Equal(0, body.Length % 8192);
        Assert.Same(body, batch.Body());
        Assert.True(batch.Takes(WritePrecision.Ms));
        Assert.False(batch.Takes(WritePrecision.S));
        Assert.Throws<InvalidOperationException>(() => batch.AddLines("d v=4 4"u8, 1, WritePrecision.S));

        batch.Clear();
        Assert.Equal(0, batch.Count);
        Assert.False(batch.HasLines);
        Assert.True(batch.Takes(WritePrecision.S));
        batch.AddLines("d v=4 4"u8, 1, WritePrecision.S);
        // The next batch of the same size is sent from the same array, with nothing of the batch before left in it.
        var next = batch.Body();
        Assert.Same(body, next);
        Assert.Equal("d v=4 4", Encoding.UTF8.GetString(next).TrimEnd('\n'));
        Assert.All(next.AsSpan(7).ToArray(), b => Assert.Equal((byte)'\n', b));
    }
}
