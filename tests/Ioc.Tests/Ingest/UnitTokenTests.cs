using System.Security.Cryptography;
using Ioc.Ingest.Telemetry;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary>Unit tokens: issued by admins, scoped to catalog subtrees, stored hashed, revocable without a restart.</summary>
public sealed class UnitTokenTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private HttpClient Unit(string secret) => hub.CreateUnitClient(secret);

    [Fact]
    public async Task An_admin_creates_lists_and_revokes_tokens_and_the_list_never_shows_a_secret()
    {
        var (id, secret) = await hub.CreateToken("Văn Lâm gateway", "van-lam");
        Assert.StartsWith($"ioc_{id}_", secret);

        var admin = hub.CreatePersonClient(HubRoles.Admin);
        var listed = await admin.GetStringAsync("/api/v1/admin/tokens", Cancel);
        Assert.DoesNotContain(secret["ioc_".Length..][(id.Length + 1)..], listed);
        using (var doc = JsonDocument.Parse(listed))
        {
            var token = doc.RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
            Assert.Equal("Văn Lâm gateway", token.GetProperty("name").GetString());
            Assert.Equal(["van-lam"], token.GetProperty("scope").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(JsonValueKind.Null, token.GetProperty("revokedAt").ValueKind);
        }

        var revoked = await admin.DeleteAsync($"/api/v1/admin/tokens/{id}", Cancel);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull((await revoked.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("revokedAt").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/admin/tokens/nope", Cancel)).StatusCode);
    }

    [Fact]
    public async Task Only_admins_may_manage_tokens()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.CreateClient().GetAsync("/api/v1/admin/tokens", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.CreatePersonClient(HubRoles.Supervisor).GetAsync("/api/v1/admin/tokens", Cancel)).StatusCode);
        var create = await hub.CreatePersonClient(HubRoles.Operator).PostAsJsonAsync("/api/v1/admin/tokens", new { name = "x", scope = new[] { "van-lam" } }, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        // A unit token is no person's token.
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.CreateUnitClient().GetAsync("/api/v1/admin/tokens", Cancel)).StatusCode);
    }

    [Theory]
    [InlineData("", "van-lam", "name")]
    [InlineData("x", "nowhere", "'nowhere' is not in the catalog")]
    public async Task A_token_request_without_a_name_or_with_an_unknown_scope_is_400(string name, string scope, string message)
    {
        var response = await hub.CreatePersonClient(HubRoles.Admin).PostAsJsonAsync("/api/v1/admin/tokens", new { name, scope = new[] { scope } }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Tokens_are_kept_only_as_hashes()
    {
        var (id, secret) = await hub.CreateToken("hash check", "an-thi-air-1");
        var table = await hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitTokenRegistryGrain>(0).GetTable();
        var credential = table.Tokens.Single(t => t.Id == id);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), credential.SecretHash.ToArray());
        Assert.DoesNotContain(secret, JsonSerializer.Serialize(table));
    }

    [Fact]
    public async Task A_locality_token_writes_its_units_and_gets_403_for_another_localitys_with_nothing_stored()
    {
        var (_, secret) = await hub.CreateToken("Yên Mỹ", "yen-my");
        await using var watch = await UnitWatch.Start(hub, "yen-my-air-1");
        var before = await hub.PointsReceived("yen-my-air-1");

        var forbidden = await Unit(secret).WriteLines(
            $"air,unit=yen-my-air-1 pm25=11 {DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds()}\nair,unit=khoai-chau-air-1 pm25=12", "s");
        Assert.Equal("line 2: the token 'Yên Mỹ' may not write to unit 'khoai-chau-air-1'",
            await forbidden.InfluxError(HttpStatusCode.Forbidden, "forbidden"));

        var json = await Unit(secret).PostAsJsonAsync("/api/v1/telemetry",
            new { points = new object[] { new { unit = "yen-my-air-1", metric = "pm25", value = 13 }, new { unit = "khoai-chau-air-1", metric = "pm25", value = 14 } } }, Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, json.StatusCode);
        var problem = await json.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(1, problem.GetProperty("index").GetInt32());
        Assert.Contains("khoai-chau-air-1", problem.GetProperty("detail").GetString());

        var sentinel = Math.Round(Random.Shared.NextDouble() * 100 + 20, 3);
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines($"air,unit=yen-my-air-1 pm25={sentinel}")).StatusCode);
        await watch.WaitFor("pm25", sentinel);
        Assert.Equal(before + 1, await hub.PointsReceived("yen-my-air-1"));
    }

    [Fact]
    public async Task A_project_token_covers_the_projects_units_in_every_locality_and_nothing_else()
    {
        var (_, secret) = await hub.CreateToken("IOC sensors", "ioc");
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines("air,unit=tp-hung-yen-air-1 pm25=1\ncam,unit=yen-my-camera-1 camera-online-ratio=99")).StatusCode);
        var response = await Unit(secret).WriteLines("ubnd,unit=van-lam-ubnd it-officials=2i");
        await response.InfluxError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_single_unit_token_writes_only_that_unit()
    {
        var (_, secret) = await hub.CreateToken("one station", "khoai-chau-air-1");
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines("air,unit=khoai-chau-air-1 pm25=1")).StatusCode);
        await (await Unit(secret).WriteLines("q,unit=khoai-chau-service-1 queue-length=1i")).InfluxError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_token_revoked_through_the_admin_api_stops_working_at_once()
    {
        var (id, secret) = await hub.CreateToken("to revoke", "van-lam");
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines("air,unit=van-lam-air-1 pm25=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hub.CreatePersonClient(HubRoles.Admin).DeleteAsync($"/api/v1/admin/tokens/{id}", Cancel)).StatusCode);
        await (await Unit(secret).WriteLines("air,unit=van-lam-air-1 pm25=1")).InfluxError(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_revoked_by_another_process_stops_working_here_within_the_refresh_period()
    {
        var (id, secret) = await hub.CreateToken("revoked elsewhere", "van-lam");
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines("air,unit=van-lam-air-1 pm25=1")).StatusCode);

        // Straight to the registry, as an admin API in another ingest process would: nothing tells this one but its timer.
        var registry = hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitTokenRegistryGrain>(0);
        await registry.Revoke(id);
        var version = await registry.GetVersion();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        await hub.Services.GetRequiredService<UnitTokenAuthenticator>().WhenVersion(version, timeout.Token);

        await (await Unit(secret).WriteLines("air,unit=van-lam-air-1 pm25=1")).InfluxError(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_issued_by_another_process_works_here_once_the_table_refreshes()
    {
        var registry = hub.Services.GetRequiredService<IGrainFactory>().GetGrain<IUnitTokenRegistryGrain>(0);
        var (id, secret) = UnitTokenAuthenticator.NewToken();
        await registry.Create(new UnitTokenCredential(id, "issued elsewhere", ["van-lam"], [.. UnitTokenAuthenticator.Hash(secret)]));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        await hub.Services.GetRequiredService<UnitTokenAuthenticator>().WhenVersion(await registry.GetVersion(), timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await Unit(secret).WriteLines("air,unit=van-lam-air-1 pm25=1")).StatusCode);
    }

    [Fact]
    public async Task The_JSON_endpoint_takes_the_same_tokens()
    {
        var (_, secret) = await hub.CreateToken("json writer", "van-lam");
        var ok = await Unit(secret).PostAsJsonAsync("/api/v1/telemetry", new { points = new[] { new { unit = "van-lam-air-1", metric = "pm25", value = 3 } } }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var anonymous = await hub.CreateClient().PostAsJsonAsync("/api/v1/telemetry", new { points = Array.Empty<object>() }, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
    }
}
