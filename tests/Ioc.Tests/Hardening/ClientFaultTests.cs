using System.Net.Http.Headers;
using Ioc.Tests.Ingest;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Hardening;

/// <summary>What the hub answers to input that is not what an endpoint takes: a 4xx that says why, in every environment.</summary>
public abstract class ClientFaultTests(HubFactory hub)
{
    // "ab" then a lone continuation byte, then an overlong encoding: neither is UTF-8.
    private static readonly byte[] NotUtf8 = [0x61, 0x62, 0x80, 0xC0, 0xAF];

    private static ByteArrayContent Json(params byte[][] parts)
    {
        var content = new ByteArrayContent([.. parts.SelectMany(p => p)]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<HttpClient> Unit()
    {
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Token", await UnitToken());
        return client;
    }

    /// <summary>A unit token valid in the factory's environment.</summary>
    protected abstract Task<string> UnitToken();

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
        return problem;
    }

    [Fact]
    public async Task A_JSON_telemetry_body_that_is_not_UTF_8_is_400_saying_so()
    {
        var response = await (await Unit()).PostAsync("/api/v1/telemetry",
            Json(Utf8("{\"points\":[{\"unit\":\"van-lam-air-1\",\"metric\":\"pm25\",\"value\":1,\"note\":\""), NotUtf8, Utf8("\"}]}")), Cancel);
        var problem = await Problem(response, HttpStatusCode.BadRequest);
        Assert.Contains("not valid UTF-8", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_id_that_is_not_UTF_8_is_400_too()
    {
        var response = await (await Unit()).PostAsync("/api/v1/telemetry",
            Json(Utf8("{\"points\":[{\"unit\":\""), NotUtf8, Utf8("\",\"metric\":\"pm25\",\"value\":1}]}")), Cancel);
        await Problem(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Malformed_JSON_to_the_token_admin_API_is_400_naming_where()
    {
        var admin = hub.CreatePersonClient(HubRoles.Admin);
        var problem = await Problem(await admin.PostAsync("/api/v1/admin/tokens", Json(Utf8("""{"name":"x","scope":["van-lam" """)), Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", problem.GetProperty("detail").GetString());

        var notUtf8 = await Problem(await admin.PostAsync("/api/v1/admin/tokens", Json(Utf8("{\"name\":\""), NotUtf8, Utf8("\",\"scope\":[\"van-lam\"]}")), Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("UTF-8", notUtf8.GetProperty("detail").GetString());

        var nullScope = await Problem(await admin.PostAsync("/api/v1/admin/tokens", Json(Utf8("""{"name":"x","scope":[null]}""")), Cancel), HttpStatusCode.BadRequest);
        Assert.Equal("scope", nullScope.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Malformed_JSON_to_an_acknowledgement_or_a_target_change_is_400_with_a_body()
    {
        var supervisor = hub.CreatePersonClient(HubRoles.Supervisor);
        var ack = await Problem(await supervisor.PostAsync("/api/v1/alerts/van-lam-air-1.1/ack", Json(Utf8("{\"comment\":")), Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", ack.GetProperty("detail").GetString());
        Assert.Equal("Invalid request", ack.GetProperty("title").GetString());

        var admin = hub.CreatePersonClient(HubRoles.Admin);
        var target = await Problem(await admin.PutAsync("/api/v1/admin/targets/hung-yen/dt-budget-share", Json(Utf8("{\"target\":{\"value\":\"many\"}}")), Cancel), HttpStatusCode.BadRequest);
        Assert.Contains("target.value", target.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_hub_method_called_without_its_argument_gets_a_hub_error_naming_it()
    {
        await using var connection = hub.CreateLiveConnection();
        await connection.StartAsync(Cancel);
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", (string?)null, Cancel));
        Assert.Contains("'entityId' is required", error.Message);
        var tooLong = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", new string('x', 10_000), Cancel));
        Assert.Contains("at most", tooLong.Message);
        // The connection is still good.
        var snapshot = await connection.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam", Cancel);
        Assert.Equal("van-lam", snapshot.Id);
    }
}

/// <summary>In Production, where an empty 400 used to be all a client got.</summary>
public sealed class ProductionClientFaultTests(ProductionHubFactory hub) : ClientFaultTests(hub), IClassFixture<ProductionHubFactory>
{
    private string? _token;

    protected override async Task<string> UnitToken() => _token ??= (await hub.CreateToken("fault tests", "hung-yen")).Secret;
}

/// <summary>In Development, where a stack trace and an exception's type name used to be what a client got.</summary>
public sealed class DevelopmentClientFaultTests(HubFactory hub) : ClientFaultTests(hub), IClassFixture<HubFactory>
{
    protected override Task<string> UnitToken() => Task.FromResult(HubFactory.DevToken);
}
