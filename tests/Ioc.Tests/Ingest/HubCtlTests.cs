using System.Text.RegularExpressions;
using Ioc.HubCtl;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary><c>hubctl</c> manages tokens through the admin API and signs development tokens.</summary>
public sealed partial class HubCtlTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private const string SigningKey = "development-only-signing-key-hung-yen-ioc-2026";

    private async Task<(int Code, string Output)> HubCtl(params string[] args)
    {
        var output = new StringWriter();
        var code = await HubCtlCommands.RunAsync(args, output, hub.Server.CreateHandler(), Cancel);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Tokens_created_with_hubctl_write_until_hubctl_revokes_them()
    {
        var (devCode, admin) = await HubCtl("dev-token", "--role", "admin", "--signing-key", SigningKey);
        Assert.Equal(0, devCode);
        admin = admin.Trim();
        var url = hub.Server.BaseAddress.ToString();

        var (code, created) = await HubCtl("tokens", "create", "--url", url, "--admin-token", admin, "--name", "Tiên Lữ gateway", "--scope", "tien-lu", "--scope", "ioc");
        Assert.True(code == 0, created);
        var id = IdLine().Match(created).Groups[1].Value;
        var secret = SecretLine().Match(created).Groups[1].Value;
        Assert.StartsWith($"ioc_{id}_", secret);
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient(secret).WriteLines("air,unit=tien-lu-air-1 pm25=4")).StatusCode);

        var (_, listed) = await HubCtl("tokens", "list", "--url", url, "--admin-token", admin);
        Assert.Matches($"{id} +live .*Tiên Lữ gateway +tien-lu,ioc", listed);
        Assert.DoesNotContain(secret, listed);

        var (revokeCode, revoked) = await HubCtl("tokens", "revoke", id, "--url", url, "--admin-token", admin);
        Assert.True(revokeCode == 0, revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.CreateUnitClient(secret).WriteLines("air,unit=tien-lu-air-1 pm25=4")).StatusCode);
        Assert.Matches($"{id} +revoked", (await HubCtl("tokens", "list", "--url", url, "--admin-token", admin)).Output);
    }

    [Fact]
    public async Task Hubctl_reports_the_hubs_refusal_and_fails()
    {
        var url = hub.Server.BaseAddress.ToString();
        var (code, output) = await HubCtl("tokens", "create", "--url", url, "--admin-token", hub.TokenFor(HubRoles.Admin), "--name", "x", "--scope", "nowhere");
        Assert.Equal(1, code);
        Assert.Contains("400", output);
        Assert.Contains("'nowhere' is not in the catalog", output);

        var (operatorCode, refused) = await HubCtl("tokens", "list", "--url", url, "--admin-token", hub.TokenFor(HubRoles.Operator));
        Assert.Equal(1, operatorCode);
        Assert.Contains("403", refused);
    }

    [Fact]
    public async Task A_development_token_from_hubctl_is_accepted_by_the_hub()
    {
        var (code, token) = await HubCtl("dev-token", "--role", "supervisor", "--signing-key", SigningKey);
        Assert.Equal(0, code);
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.Trim());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/entities/hung-yen", Cancel)).StatusCode);
        Assert.NotEqual(0, (await HubCtl("dev-token", "--role", "king", "--signing-key", SigningKey)).Code);
    }

    [GeneratedRegex(@"^id: +(\S+)$", RegexOptions.Multiline)]
    private static partial Regex IdLine();

    [GeneratedRegex(@"^secret: +(\S+)$", RegexOptions.Multiline)]
    private static partial Regex SecretLine();
}
