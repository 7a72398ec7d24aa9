using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ioc.Contracts;
using Ioc.ServiceDefaults;

namespace Ioc.HubCtl;

/// <summary>
/// The commands: <c>tokens create|list|revoke</c> against the admin API, <c>dev-token</c>, which signs a
/// development bearer token locally, and <c>mqtt acl</c>, which writes a mosquitto ACL from the catalog.
/// </summary>
public static class HubCtlCommands
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="output"/>; <paramref name="handler"/> replaces the network (tests).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
    {
        var url = new Option<string>("--url") { Description = "The hub's base address.", DefaultValueFactory = _ => "http://localhost:5000" };
        var adminToken = new Option<string>("--admin-token") { Description = "A bearer token with the admin role (see dev-token).", Required = true };
        var name = new Option<string>("--name") { Description = "Who the token is for, such as 'Văn Lâm air station gateway'.", Required = true };
        var scope = new Option<string[]>("--scope")
        {
            Description = "A catalog entity whose units the token may write: a locality, project, department or unit. Repeat for more.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var id = new Argument<string>("id") { Description = "The token's id, as listed." };

        var create = new Command("create", "Issue a unit token; its secret is shown once.") { url, adminToken, name, scope };
        create.SetAction((parsed, ct) => Call(output, parsed.GetValue(url)!, parsed.GetValue(adminToken)!, handler, async http =>
        {
            var response = await http.PostAsJsonAsync("api/v1/admin/tokens",
                new CreateUnitTokenRequest(parsed.GetValue(name)!, [.. parsed.GetValue(scope)!]), Json, ct);
            if (!await Succeeded(response, output, ct)) return 1;
            var created = (await response.Content.ReadFromJsonAsync<CreatedUnitToken>(Json, ct))!;
            await output.WriteLineAsync($"id:     {created.Token.Id}");
            await output.WriteLineAsync($"name:   {created.Token.Name}");
            await output.WriteLineAsync($"scope:  {string.Join(", ", created.Token.Scope)}");
            await output.WriteLineAsync($"secret: {created.Secret}");
            await output.WriteLineAsync("The secret is shown only now. Give it to the unit as 'Authorization: Token <secret>'.");
            return 0;
        }, ct));

        var list = new Command("list", "List unit tokens (never their secrets).") { url, adminToken };
        list.SetAction((parsed, ct) => Call(output, parsed.GetValue(url)!, parsed.GetValue(adminToken)!, handler, async http =>
        {
            var response = await http.GetAsync("api/v1/admin/tokens", ct);
            if (!await Succeeded(response, output, ct)) return 1;
            var tokens = (await response.Content.ReadFromJsonAsync<UnitTokenInfo[]>(Json, ct))!;
            await output.WriteLineAsync($"{"ID",-14}{"STATE",-9}{"CREATED",-22}{"NAME",-32}SCOPE");
            foreach (var t in tokens)
                await output.WriteLineAsync($"{t.Id,-14}{(t.RevokedAt is null ? "live" : "revoked"),-9}{t.CreatedAt.UtcDateTime,-22:yyyy-MM-dd HH:mm:ss}{t.Name,-32}{string.Join(",", t.Scope)}");
            return 0;
        }, ct));

        var revoke = new Command("revoke", "Revoke a unit token; it stops working within the ingest refresh period.") { id, url, adminToken };
        revoke.SetAction((parsed, ct) => Call(output, parsed.GetValue(url)!, parsed.GetValue(adminToken)!, handler, async http =>
        {
            var response = await http.DeleteAsync($"api/v1/admin/tokens/{Uri.EscapeDataString(parsed.GetValue(id)!)}", ct);
            if (!await Succeeded(response, output, ct)) return 1;
            var token = (await response.Content.ReadFromJsonAsync<UnitTokenInfo>(Json, ct))!;
            await output.WriteLineAsync($"revoked {token.Id} ({token.Name}) at {token.RevokedAt:O}");
            return 0;
        }, ct));

        var role = new Option<string>("--role") { Description = $"One of {string.Join(", ", HubRoles.All)}.", DefaultValueFactory = _ => HubRoles.Admin };
        var signingKey = new Option<string>("--signing-key") { Description = "The hub's Auth:SigningKey (at least 32 characters).", Required = true };
        var issuer = new Option<string>("--issuer") { Description = "The hub's Auth:Issuer.", DefaultValueFactory = _ => "ioc-hub" };
        var audience = new Option<string>("--audience") { Description = "The hub's Auth:Audience.", DefaultValueFactory = _ => "ioc-hub" };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours.", DefaultValueFactory = _ => 12 };
        var devToken = new Command("dev-token", "Print a bearer token signed with the hub's local key, for development.") { role, signingKey, issuer, audience, hours };
        devToken.SetAction(async (parsed, ct) =>
        {
            var r = parsed.GetValue(role)!;
            var key = parsed.GetValue(signingKey)!;
            if (!HubRoles.All.Contains(r))
            {
                await output.WriteLineAsync($"Unknown role '{r}'; use one of {string.Join(", ", HubRoles.All)}.");
                return 2;
            }
            if (key.Length < 32)
            {
                await output.WriteLineAsync("The signing key must be at least 32 characters.");
                return 2;
            }
            var options = new HubAuthOptions { SigningKey = key, Issuer = parsed.GetValue(issuer)!, Audience = parsed.GetValue(audience)! };
            await output.WriteLineAsync(DevTokens.Issue(options, r, $"hubctl-{r}", TimeSpan.FromHours(parsed.GetValue(hours))));
            return 0;
        });

        var catalogPath = new Option<string>("--catalog") { Description = "The hub's catalog file.", DefaultValueFactory = _ => "catalog/hung-yen.json" };
        var ingestUser = new Option<string>("--ingest-user") { Description = "The user the Ingest processes sign in to the broker with.", DefaultValueFactory = _ => "ioc-ingest" };
        var acl = new Command("acl", "Print a mosquitto ACL file that lets each unit publish only to its own topics.") { catalogPath, ingestUser };
        acl.SetAction(async (parsed, ct) =>
        {
            Catalog catalog;
            try
            {
                catalog = Catalog.Load(parsed.GetValue(catalogPath)!);
            }
            catch (Exception ex) when (ex is CatalogException or IOException or UnauthorizedAccessException)
            {
                await output.WriteLineAsync($"Could not load the catalog: {ex.Message}");
                return 1;
            }
            await output.WriteAsync(MosquittoAcl.Generate(catalog, parsed.GetValue(ingestUser)!));
            return 0;
        });
        var mqttCommand = new Command("mqtt", "Configure an external MQTT broker for the hub.") { acl };

        var tokensCommand = new Command("tokens", "Manage the tokens units write with.") { create, list, revoke };
        var root = new RootCommand("hubctl: administer the Hưng Yên IOC data hub.") { tokensCommand, devToken, mqttCommand };
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cancellationToken);
    }

    private static async Task<int> Call(TextWriter output, string url, string adminToken, HttpMessageHandler? handler, Func<HttpClient, Task<int>> call, CancellationToken cancellationToken)
    {
        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        try
        {
            return await call(http);
        }
        catch (HttpRequestException ex)
        {
            await output.WriteLineAsync($"Could not reach the hub at {url}: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static async Task<bool> Succeeded(HttpResponseMessage response, TextWriter output, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return true;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("detail", out var d)) detail = d.GetString();
        }
        catch (JsonException)
        {
        }
        await output.WriteLineAsync($"The hub answered {(int)response.StatusCode} {response.ReasonPhrase}{(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}");
        return false;
    }

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ServiceDefaultsExtensions.Configure(json);
        return json;
    }
}
