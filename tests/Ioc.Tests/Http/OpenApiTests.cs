using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Ioc.Tests.Http;

/// <summary>The hub describes its API in OpenAPI, and the description leaves no API endpoint out.</summary>
public sealed class OpenApiTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private async Task<OpenApiDocument> Document()
    {
        var response = await hub.CreateClient().GetAsync("/openapi/v1.json", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = OpenApiDocument.Parse(await response.Content.ReadAsStringAsync(Cancel), "json");
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        return Assert.IsType<OpenApiDocument>(read.Document);
    }

    [Fact]
    public async Task The_description_is_valid_OpenAPI_and_names_every_mapped_API_endpoint()
    {
        var document = await Document();
        var endpoints = hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Method: m)))
            .ToList();
        Assert.NotEmpty(endpoints);

        var missing = endpoints.Where(e => !document.Paths.TryGetValue(e.Path, out var item)
            || item.Operations?.Keys.Any(m => string.Equals(m.Method, e.Method, StringComparison.OrdinalIgnoreCase)) != true).ToList();
        Assert.True(missing.Count == 0, "missing from the description: " + string.Join(", ", missing.Select(m => $"{m.Method} {m.Path}")));
        foreach (var path in new[] { "/api/v1/telemetry", "/api/v2/write", "/api/v1/entities/{id}/metrics/{metric}/history", "/api/v1/alerts/{id}/ack", "/api/v1/admin/tokens", "/api/v1/admin/targets/{entityId}/{metric}" })
            Assert.Contains(path, document.Paths.Keys);
    }

    [Fact]
    public async Task Units_write_with_the_Token_scheme_and_people_sign_in_with_Bearer()
    {
        var document = await Document();
        Assert.Equal(SecuritySchemeType.ApiKey, document.Components!.SecuritySchemes!["Token"].Type);
        Assert.Equal("bearer", document.Components.SecuritySchemes["Bearer"].Scheme);

        string Scheme(string path, HttpMethod method) =>
            document.Paths[path].Operations![method].Security!.Single().Keys.Single().Reference.Id!;
        Assert.Equal("Token", Scheme("/api/v1/telemetry", HttpMethod.Post));
        Assert.Equal("Token", Scheme("/api/v2/write", HttpMethod.Post));
        Assert.Equal("Bearer", Scheme("/api/v1/entities/{id}", HttpMethod.Get));
        Assert.Equal("Bearer", Scheme("/api/v1/alerts/{id}/ack", HttpMethod.Post));
    }

    [Fact]
    public async Task Every_API_operation_names_its_sign_in_scheme()
    {
        var document = await Document();
        var unnamed = document.Paths.Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value.Operations!.Select(o => (Path: p.Key, Method: o.Key, o.Value.Security)))
            .Where(o => o.Security?.SelectMany(r => r.Keys).Any(k => k.Reference.Id is "Bearer" or "Token") != true)
            .Select(o => $"{o.Method} {o.Path}").ToList();
        Assert.True(unnamed.Count == 0, "without a sign-in scheme: " + string.Join(", ", unnamed));
    }

    [Fact]
    public async Task Request_bodies_and_problem_answers_carry_examples()
    {
        var document = await Document();
        OpenApiMediaType Body(string path, HttpMethod method, string mediaType) =>
            document.Paths[path].Operations![method].RequestBody!.Content![mediaType];

        var telemetry = Body("/api/v1/telemetry", HttpMethod.Post, "application/json");
        Assert.Equal("van-lam-air-1", telemetry.Example!["points"]![0]!["unit"]!.GetValue<string>());
        Assert.NotNull(telemetry.Schema);
        Assert.Contains("unit=van-lam-air-1", Body("/api/v2/write", HttpMethod.Post, "text/plain").Example!.GetValue<string>());
        Assert.Equal("atLeast", Body("/api/v1/admin/targets/{entityId}/{metric}", HttpMethod.Put, "application/json").Example!["target"]!["direction"]!.GetValue<string>());
        Assert.Equal("van-lam", Body("/api/v1/admin/tokens", HttpMethod.Post, "application/json").Example!["scope"]![0]!.GetValue<string>());

        var ingestRefusals = document.Paths["/api/v1/telemetry"].Operations![HttpMethod.Post].Responses!;
        foreach (var status in new[] { "400", "401", "403", "413", "415", "429", "503" })
            Assert.Equal(int.Parse(status), ingestRefusals[status].Content!["application/problem+json"].Example!["status"]!.GetValue<int>());
        Assert.Equal("value", ingestRefusals["400"].Content!["application/problem+json"].Example!["field"]!.GetValue<string>());
        Assert.Equal("invalid", document.Paths["/api/v2/write"].Operations![HttpMethod.Post].Responses!["400"].Content!["application/json"].Example!["code"]!.GetValue<string>());

        var problems = document.Paths.SelectMany(p => p.Value.Operations!.SelectMany(o => o.Value.Responses!
                .Where(r => r.Value.Content?.ContainsKey("application/problem+json") == true)
                .Select(r => (Where: $"{o.Key} {p.Key} {r.Key}", r.Value.Content!["application/problem+json"].Example))))
            .ToList();
        Assert.Contains(problems, p => p.Where.StartsWith("PUT /api/v1/admin/targets", StringComparison.Ordinal));
        var bare = problems.Where(p => p.Example is null).Select(p => p.Where).ToList();
        Assert.True(bare.Count == 0, "problem answers without an example: " + string.Join(", ", bare));
    }

    [Fact]
    public async Task Enums_are_described_by_the_camelCase_names_the_answers_carry()
    {
        var document = await Document();
        string[] Names(string schema) =>
            [.. document.Components!.Schemas![schema].Enum!.Select(n => n!.GetValue<string>())];
        Assert.Equal(["province", "city", "town", "district", "department", "project", "unit"], Names("EntityKind"));
        Assert.Equal(["warning", "critical", "offline"], Names("AlertSeverity"));
    }

    [Fact]
    public async Task In_Development_an_interactive_page_shows_the_description()
    {
        var response = await hub.CreateClient().GetAsync("/scalar/v1", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Scalar", await response.Content.ReadAsStringAsync(Cancel));
    }
}
