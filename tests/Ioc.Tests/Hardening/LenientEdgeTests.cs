using Ioc.Tests.Ingest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ioc.Tests.Hardening;

/// <summary>Edges where the hub used to guess what a client meant; it now says what is wrong.</summary>
public sealed class LenientEdgeTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private const string OnePoint = """{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":12}]}""";

    private async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task JSON_telemetry_sent_as_anything_but_JSON_is_415(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(OnePoint));
        if (contentType is not null) content.Headers.ContentType = new(contentType);
        var problem = await Problem(await hub.CreateUnitClient().PostAsync("/api/v1/telemetry", content, Cancel), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.ioc+json")]
    public async Task JSON_telemetry_with_a_JSON_media_type_is_accepted(string contentType)
    {
        var content = new StringContent(OnePoint, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        Assert.Equal(HttpStatusCode.Accepted, (await hub.CreateUnitClient().PostAsync("/api/v1/telemetry", content, Cancel)).StatusCode);
    }

    [Fact]
    public async Task An_empty_points_array_is_400_not_an_acceptance_of_nothing()
    {
        var response = await hub.CreateUnitClient().PostAsync("/api/v1/telemetry", new StringContent("""{"points":[]}""", Encoding.UTF8, "application/json"), Cancel);
        var problem = await Problem(response, HttpStatusCode.BadRequest);
        Assert.Equal("points", problem.GetProperty("field").GetString());
        Assert.Contains("empty", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_empty_precision_is_400_not_nanoseconds()
    {
        var message = await (await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=1 1764230400", precision: ""))
            .InfluxError(HttpStatusCode.BadRequest, "invalid");
        Assert.Contains("invalid precision ''", message);
    }

    [Fact]
    public void A_clients_faults_are_logged_once_a_minute_at_warning_with_a_count_of_the_rest()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger(LogLevel.Trace);
        var log = new ClientFaultLog(time, logger.For<ClientFaultLog>());
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/api/v2/write";
        for (var i = 0; i < 300; i++)
            log.Fault(http, StatusCodes.Status408RequestTimeout, "too slow");
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level);
        time.Advance(TimeSpan.FromMinutes(1));
        log.Fault(http, StatusCodes.Status408RequestTimeout, "too slow");
        Assert.Equal(2, logger.Entries.Count);
        Assert.Contains("299 more like it", logger.Entries[1].Message);
    }
}
