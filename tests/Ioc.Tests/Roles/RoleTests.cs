using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Roles;

/// <summary>
/// Each kind of caller against each family of endpoints: no token is 401, a token without the right is
/// 403, and the right token gets the endpoint's own answer. Units write with unit tokens and nothing else.
/// </summary>
public sealed class RoleTests(HubFactory hub) : IClassFixture<HubFactory>
{
    /// <summary>Who calls.</summary>
    public enum Caller { Nobody, Unit, PersonWithoutRole, Operator, Supervisor, Admin }

    /// <summary>One family of endpoints, the policy guarding it, and what an allowed caller gets from this request.</summary>
    public sealed record Family(HttpMethod Method, string Path, string? Body, string Policy, HttpStatusCode Allowed);

    private const string Ingest = "unit token";

    public static readonly Dictionary<string, Family> Families = new()
    {
        ["entity tree"] = new(HttpMethod.Get, "/api/v1/entities", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["entity snapshot"] = new(HttpMethod.Get, "/api/v1/entities/hung-yen", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["metrics"] = new(HttpMethod.Get, "/api/v1/metrics", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["live hub"] = new(HttpMethod.Post, "/hubs/live/negotiate?negotiateVersion=1", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["alert list"] = new(HttpMethod.Get, "/api/v1/alerts?scope=van-lam", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["alert detail"] = new(HttpMethod.Get, "/api/v1/alerts/van-lam-air-1.999", null, HubPolicies.Watch, HttpStatusCode.NotFound),
        ["alert acknowledgement"] = new(HttpMethod.Post, "/api/v1/alerts/van-lam-air-1.999/ack", """{"comment":"đã xem"}""", HubPolicies.Supervise, HttpStatusCode.NotFound),
        ["entity level"] = new(HttpMethod.Get, "/api/v1/entities?parent=van-lam&limit=2", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["entity children"] = new(HttpMethod.Get, "/api/v1/entities/hung-yen/children", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["entity search"] = new(HttpMethod.Get, "/api/v1/entities/search?q=van%20lam", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["who am I"] = new(HttpMethod.Get, "/api/v1/me", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["low achievement"] = new(HttpMethod.Get, "/api/v1/low-achievement?scope=van-lam", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["low achievement for the province"] = new(HttpMethod.Get, "/api/v1/low-achievement", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["low achievement export"] = new(HttpMethod.Get, "/api/v1/low-achievement.csv?scope=van-lam", null, HubPolicies.Supervise, HttpStatusCode.OK),
        ["low achievement export by format"] = new(HttpMethod.Get, "/api/v1/low-achievement?scope=van-lam&format=csv", null, HubPolicies.Supervise, HttpStatusCode.OK),
        ["reporting compliance"] = new(HttpMethod.Get, "/api/v1/compliance?scope=van-lam", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["reporting compliance for the province"] = new(HttpMethod.Get, "/api/v1/compliance?scope=hung-yen", null, HubPolicies.Watch, HttpStatusCode.OK),
        ["target overrides"] = new(HttpMethod.Get, "/api/v1/admin/targets", null, HubPolicies.Administer, HttpStatusCode.OK),
        ["target in force"] = new(HttpMethod.Get, "/api/v1/admin/targets/hung-yen/dt-budget-share", null, HubPolicies.Administer, HttpStatusCode.OK),
        ["target audit"] = new(HttpMethod.Get, "/api/v1/admin/targets/audit", null, HubPolicies.Administer, HttpStatusCode.OK),
        ["target change"] = new(HttpMethod.Put, "/api/v1/admin/targets/no-such-place/dt-budget-share", """{"target":{"direction":"atLeast","value":2}}""", HubPolicies.Administer, HttpStatusCode.NotFound),
        ["target removal"] = new(HttpMethod.Delete, "/api/v1/admin/targets/hung-yen/dt-budget-share", null, HubPolicies.Administer, HttpStatusCode.NotFound),
        ["telemetry"] = new(HttpMethod.Post, "/api/v1/telemetry", """{"points":[{"unit":"van-lam-air-1","metric":"pm25","value":21.5}]}""", Ingest, HttpStatusCode.Accepted),
    };

    public static TheoryData<string, Caller> Cases()
    {
        var cases = new TheoryData<string, Caller>();
        foreach (var family in Families.Keys)
            foreach (var caller in Enum.GetValues<Caller>())
                cases.Add(family, caller);
        return cases;
    }

    private static readonly Dictionary<string, Caller[]> Holders = new()
    {
        [HubPolicies.Watch] = [Caller.Operator, Caller.Supervisor, Caller.Admin],
        [HubPolicies.Supervise] = [Caller.Supervisor, Caller.Admin],
        [HubPolicies.Administer] = [Caller.Admin],
        [Ingest] = [Caller.Unit],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_caller_may_use_exactly_the_endpoints_its_role_allows(string familyName, Caller caller)
    {
        var family = Families[familyName];
        var expected =
            Holders[family.Policy].Contains(caller) ? family.Allowed :
            // Without a credential of the kind the endpoint takes, the caller is nobody to it: a person's
            // bearer token means nothing to ingest, and a unit token nothing to the people's API.
            family.Policy == Ingest || caller is Caller.Nobody or Caller.Unit ? HttpStatusCode.Unauthorized :
            HttpStatusCode.Forbidden;

        using var request = new HttpRequestMessage(family.Method, family.Path);
        if (family.Body is not null)
            request.Content = new StringContent(family.Body, Encoding.UTF8, "application/json");
        request.Headers.Authorization = caller switch
        {
            Caller.Nobody => null,
            Caller.Unit => new("Token", HubFactory.DevToken),
            Caller.PersonWithoutRole => new("Bearer", hub.TokenFor("guest")),
            Caller.Operator => new("Bearer", hub.TokenFor(HubRoles.Operator)),
            Caller.Supervisor => new("Bearer", hub.TokenFor(HubRoles.Supervisor)),
            _ => new("Bearer", hub.TokenFor(HubRoles.Admin)),
        };
        using var response = await hub.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_screen_without_a_token_cannot_connect_to_the_live_hub_and_one_without_a_role_is_forbidden()
    {
        var anonymous = new HubConnectionBuilder()
            .WithUrl(new Uri(hub.Server.BaseAddress, "/hubs/live"), o => o.HttpMessageHandlerFactory = _ => hub.Server.CreateHandler())
            .Build();
        var unauthorized = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);

        await using var guest = hub.CreateLiveConnection("guest");
        var forbidden = await Assert.ThrowsAsync<HttpRequestException>(() => guest.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}
