using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;
using InfluxDB.Client.Writes;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary>The real InfluxDB.Client, unchanged, pointed at the hub's <c>/api/v2/write</c>.</summary>
public sealed class InfluxClientTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private InfluxDBClient Client(string token = HubFactory.DevToken) => new(new InfluxDBClientOptions(hub.Server.BaseAddress.ToString())
    {
        Token = token,
        Org = "hung-yen",
        Bucket = "ioc",
        // The in-process server is reached through its handler; everything above it is the client's own.
        HttpClient = hub.CreateClient(),
    });

    [Fact]
    public async Task Points_written_with_InfluxDB_Client_reach_the_unit_with_their_tags_and_timestamps()
    {
        await using var watch = await UnitWatch.Start(hub, "tx-my-hao-air-1");
        using var client = Client();
        var at = DateTime.UtcNow.AddSeconds(-10);
        at = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMillisecond));
        var point = PointData.Measurement("air")
            .Tag("unit", "tx-my-hao-air-1")
            .Tag("trạm", "Phố Nối, cổng=2")
            .Field("pm25", 27.25)
            .Field("aqi", 81L)
            .Timestamp(at, WritePrecision.Ms);
        await client.GetWriteApiAsync().WritePointAsync(point, "ioc", "hung-yen", Cancel);
        var seen = await watch.WaitFor("pm25", 27.25);
        Assert.Equal(new DateTimeOffset(at), seen.Timestamp);
        await watch.WaitFor("aqi", 81);
    }

    [Fact]
    public async Task Gzipped_records_written_with_InfluxDB_Client_reach_the_unit()
    {
        await using var watch = await UnitWatch.Start(hub, "tx-my-hao-traffic-1");
        using var client = Client();
        client.EnableGzip();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await client.GetWriteApiAsync().WriteRecordsAsync(
            [$"traffic,unit=tx-my-hao-traffic-1 vehicle_count=10i {now - 2}", $"traffic,unit=tx-my-hao-traffic-1 vehicle_count=12i,avg_speed=37.5 {now - 1}"],
            WritePrecision.S, "ioc", "hung-yen", Cancel);
        await watch.WaitFor("avg-speed", 37.5);
    }

    [Fact]
    public async Task InfluxDB_Client_reports_the_hubs_refusals_as_InfluxDB_errors_with_the_message()
    {
        using var client = Client();
        var writes = client.GetWriteApiAsync();
        var bad = await Assert.ThrowsAsync<BadRequestException>(() =>
            writes.WriteRecordAsync("air,unit=tx-my-hao-air-1 pm25=\"high\"", WritePrecision.Ns, "ioc", "hung-yen", Cancel));
        Assert.Contains("line 1: field 'pm25' is a string", bad.Message);

        using var stranger = Client("ioc_000000000000_not-issued");
        await Assert.ThrowsAsync<UnauthorizedException>(() =>
            stranger.GetWriteApiAsync().WriteRecordAsync("air,unit=tx-my-hao-air-1 pm25=1", WritePrecision.Ns, "ioc", "hung-yen", Cancel));

        var (_, secret) = await hub.CreateToken("Mỹ Hào only", "tx-my-hao");
        using var scoped = Client(secret);
        var forbidden = await Assert.ThrowsAsync<ForbiddenException>(() =>
            scoped.GetWriteApiAsync().WriteRecordAsync("air,unit=van-lam-air-1 pm25=1", WritePrecision.Ns, "ioc", "hung-yen", Cancel));
        Assert.Contains("may not write to unit 'van-lam-air-1'", forbidden.Message);
    }
}
