using Ioc.Tests.Ingest;
using Ioc.Tests.Storage;

namespace Ioc.Tests.Hardening;

/// <summary>What a unit controls in the store's series is bounded: each limit a clear 4xx naming it.</summary>
public sealed class SeriesLimitTests(SeriesLimitTests.Hub hub) : IClassFixture<SeriesLimitTests.Hub>
{
    /// <summary>The hub with a limit of three new series per unit an hour.</summary>
    public sealed class Hub : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Ingest:Tags:MaxNewSeriesPerUnitPerHour"] = "3",
        };
    }

    private async Task<string> Refused(string body, HttpStatusCode status, string code)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?precision=s") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        return await (await hub.CreateUnitClient().SendAsync(request, Cancel)).InfluxError(status, code);
    }

    [Fact]
    public async Task A_tag_value_longer_than_the_limit_is_400_naming_the_tag_and_the_setting()
    {
        var message = await Refused($"air,unit=van-lam-air-1,site={new string('x', 1_100_000)} pm25=1", HttpStatusCode.BadRequest, "invalid");
        Assert.Contains("the value of tag 'site' is 1100000 bytes long; at most 256", message);
        Assert.Contains("Ingest:Tags:MaxValueBytes", message);
        Assert.True(message.Length < 500, "the answer does not echo the value");
    }

    [Fact]
    public async Task A_tag_key_longer_than_the_limit_is_400()
    {
        var message = await Refused($"air,unit=van-lam-air-1,{new string('k', 65)}=1 pm25=1", HttpStatusCode.BadRequest, "invalid");
        Assert.Contains("Ingest:Tags:MaxKeyBytes", message);
    }

    [Fact]
    public async Task More_tags_on_a_line_than_the_limit_is_400()
    {
        var tags = string.Concat(Enumerable.Range(0, 16).Select(i => $",t{i}=v"));
        var message = await Refused($"air,unit=van-lam-air-1{tags} pm25=1", HttpStatusCode.BadRequest, "invalid");
        Assert.Contains("the line has 17 tags; at most 16", message);
    }

    [Theory]
    [InlineData("air,unit=van-lam-air-1,site=a\0b pm25=1", "tag 'site' holds a control character")]
    [InlineData("air,unit=van-lam-air-1,si\u0001te=ab pm25=1", "holds a control character")]
    [InlineData("air,unit=van-lam-air-1,site=a\u0085b pm25=1", "tag 'site' holds a control character")]
    [InlineData("air,unit=van-lam-air-1,site=a\u007Fb pm25=1", "tag 'site' holds a control character")]
    [InlineData("a\0ir,unit=van-lam-air-1 pm25=1", "the measurement")]
    [InlineData("a\u001Bir,unit=van-lam-air-1 pm25=1", "the measurement")]
    public async Task Control_characters_in_tags_and_measurements_are_400(string line, string expected)
    {
        var message = await Refused(line, HttpStatusCode.BadRequest, "invalid");
        Assert.Contains(expected, message);
    }

    [Fact]
    public async Task Vietnamese_tag_values_are_still_accepted()
    {
        var response = await hub.CreateUnitClient().WriteLines("air,unit=van-giang-air-1,site=Cổng\\ chợ pm25=1");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task A_unit_may_start_only_so_many_new_series_an_hour_and_known_ones_pass()
    {
        var units = hub.CreateUnitClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.NoContent, (await units.WriteLines($"air,unit=an-thi-air-1,reading={i} pm25={i}")).StatusCode);
        var refused = await units.WriteLines("air,unit=an-thi-air-1,reading=3 pm25=3");
        Assert.True(refused.Headers.RetryAfter is not null);
        var message = await refused.InfluxError(HttpStatusCode.TooManyRequests, "too many requests");
        Assert.Contains("unit 'an-thi-air-1' has started 3 new series", message);
        Assert.Contains("Ingest:Tags:MaxNewSeriesPerUnitPerHour", message);

        // Series it already has, points without tags of their own, and other units are not held back.
        Assert.Equal(HttpStatusCode.NoContent, (await units.WriteLines("air,unit=an-thi-air-1,reading=1 pm25=5")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await units.WriteLines("air,unit=an-thi-air-1 pm25=6")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await units.WriteLines("air,unit=kim-dong-air-1,reading=9 pm25=6")).StatusCode);
    }
}

/// <summary>The same schema rule in every store: a unit's own tag named like a tag the hub derives is dropped.</summary>
public sealed class ReservedTagTests
{
    private const string Line = "air,unit=van-lam-air-1,locality=elsewhere,projects=mine,department=none,site=gate pm25=12.5";

    private static async Task Push(StorageHub hub)
    {
        var response = await hub.CreateUnitClient().WriteLines(Line);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await hub.Drained(Cancel);
    }

    [Fact]
    public async Task The_embedded_store_keeps_the_units_own_tags_without_the_reserved_ones()
    {
        await using var hub = new StorageHub(new Dictionary<string, string?>());
        await Push(hub);
        using var connection = hub.Services.GetRequiredService<EmbeddedStore>().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT tags FROM series WHERE unit = 'van-lam-air-1' AND metric = 'pm25'";
        Assert.Equal("site=gate", Assert.Single(ReadAll(command)));
    }

    [Fact]
    public async Task VictoriaMetrics_keeps_the_units_own_tags_and_the_catalogs_locality()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        await using var hub = new StorageHub(StorageHub.VictoriaMetrics(vm.Url));
        await Push(hub);
        await vm.ForceFlush(Cancel);
        var sample = Assert.Single(await vm.Export("{__name__=\"telemetry_pm25\"}", Cancel));
        Assert.Equal("van-lam", sample.Labels[TelemetrySchema.LocalityTag]);
        Assert.Equal("gate", sample.Labels["site"]);
        Assert.False(sample.Labels.TryGetValue(TelemetrySchema.DepartmentTag, out var department) && department == "none");
        Assert.NotEqual("mine", sample.Labels.GetValueOrDefault(TelemetrySchema.ProjectsTag));
    }

    private static List<string> ReadAll(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        var rows = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) rows.Add(reader.GetString(0));
        return rows;
    }
}
