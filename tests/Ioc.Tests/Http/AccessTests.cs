namespace Ioc.Tests.Http;

public sealed class AccessTests(HubFactory hub) : IClassFixture<HubFactory>
{
    [Fact]
    public async Task Reading_the_tree_without_a_token_is_401()
    {
        var response = await hub.CreateClient().GetAsync("/api/v1/entities", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(HubRoles.Operator)]
    [InlineData(HubRoles.Supervisor)]
    [InlineData(HubRoles.Admin)]
    public async Task Every_role_may_read_the_tree(string role)
    {
        var response = await hub.CreatePersonClient(role).GetAsync("/api/v1/entities", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        var forged = DevTokens.Issue(new HubAuthOptions { SigningKey = new string('x', 40) }, HubRoles.Admin, "mallory", TimeSpan.FromHours(1));
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", forged);
        var response = await client.GetAsync("/api/v1/entities", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Development_hands_out_signed_tokens_for_each_role()
    {
        var token = await hub.CreateClient().GetStringAsync("/dev/token?role=supervisor", TestContext.Current.CancellationToken);
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var response = await client.GetAsync("/api/v1/entities/hung-yen", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
