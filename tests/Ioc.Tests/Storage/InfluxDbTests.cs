using InfluxDB.Client;

namespace Ioc.Tests.Storage;

/// <summary>
/// Against a real InfluxDB 2.x named by <c>INFLUXDB_URL</c>, <c>INFLUXDB_TOKEN</c>, <c>INFLUXDB_ORG</c> and
/// <c>INFLUXDB_BUCKET</c>; skipped when they are not set. The test deletes the hub's measurement around
/// its time range in that bucket first.
/// </summary>
public sealed class InfluxDbTests
{
    [Fact]
    public async Task Points_written_to_InfluxDB_read_back_through_Flux_as_the_same_aggregates_as_expected()
    {
        var url = Environment.GetEnvironmentVariable("INFLUXDB_URL");
        if (string.IsNullOrEmpty(url))
            Assert.Skip("INFLUXDB_URL is not set: set INFLUXDB_URL, INFLUXDB_TOKEN, INFLUXDB_ORG and INFLUXDB_BUCKET to run against InfluxDB 2.x.");
        string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value : throw new InvalidOperationException($"INFLUXDB_URL is set but {name} is not.");
        var (token, org, bucket) = (Required("INFLUXDB_TOKEN"), Required("INFLUXDB_ORG"), Required("INFLUXDB_BUCKET"));

        var end = StorageScenario.RecentEnd();
        using (var client = new InfluxDBClient(new InfluxDBClientOptions(url) { Token = token, Org = org, Bucket = bucket }))
            await client.GetDeleteApi().Delete(end.AddHours(-3).UtcDateTime, end.AddHours(1).UtcDateTime, "_measurement=\"telemetry\"", bucket, org, Cancel);

        await using var hub = new StorageHub(new Dictionary<string, string?>
        {
            ["TimeSeries:Server"] = "InfluxDB",
            ["TimeSeries:Url"] = url,
            ["TimeSeries:Token"] = token,
            ["TimeSeries:Org"] = org,
            ["TimeSeries:Bucket"] = bucket,
            ["Buffer:DrainTimeout"] = "00:00:01",
        });
        var points = StorageScenario.AirQuality(end);
        await StorageScenario.Push(hub.CreateUnitClient(), points, 25, Cancel);
        await hub.Drained(Cancel);

        await StorageScenario.AnswersAsPushed(hub, points, ["van-lam-air-1", "hung-yen"], StorageScenario.Ranges(end), StorageScenario.Aggregates, "from InfluxDB", Cancel);
    }
}
