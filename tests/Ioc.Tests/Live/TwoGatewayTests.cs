using System.Threading.Channels;
using Ioc.Gateway.Live;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Live;

/// <summary>
/// A Gateway on its own (<c>Ioc.Gateway</c>'s entry point), joined as an Orleans client to the silo of
/// <paramref name="silo"/> and trusting the same signing key.
/// </summary>
public sealed class StandaloneGateway(HubFactory silo) : WebApplicationFactory<Ioc.Gateway.Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var cluster = silo.Services.GetRequiredService<IConfiguration>();
        builder.UseEnvironment("Development");
        builder.UseSetting("Cluster:GatewayPort", cluster["Cluster:GatewayPort"]);
        builder.UseSetting("Auth:SigningKey", silo.Services.GetRequiredService<IOptions<HubAuthOptions>>().Value.SigningKey);
    }

    /// <summary>A screen connected to this Gateway's hub.</summary>
    public HubConnection CreateLiveConnection(string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(Server.BaseAddress, "/hubs/live"), o =>
        {
            o.HttpMessageHandlerFactory = _ => Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
        })
        .AddJsonProtocol(o => ServiceDefaultsExtensions.Configure(o.PayloadSerializerOptions))
        .Build();
}

public sealed class TwoGatewayTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 120_000)]
    public async Task Two_Gateway_processes_on_one_cluster_both_deliver_an_update_to_their_screens()
    {
        await using var second = new StandaloneGateway(hub);
        await Task.WhenAll(RegisteredFeed(hub.Services), RegisteredFeed(second.Services)).WaitAsync(Patience, Cancel);

        var token = hub.TokenFor(HubRoles.Operator);
        var atSilo = Channel.CreateUnbounded<double>();
        var atSecond = Channel.CreateUnbounded<double>();
        await using var first = await Watch(hub.CreateLiveConnection(), "van-lam", atSilo);
        await using var other = await Watch(second.CreateLiveConnection(token), "van-lam", atSecond);

        var value = 20 + Random.Shared.Next(1000) / 10.0;
        var response = await hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = "van-lam-air-1", metric = "pm25", value, ts = DateTimeOffset.UtcNow } },
        }, Cancel);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await Task.WhenAll(Receive(atSilo, value), Receive(atSecond, value));
    }

    private static Task RegisteredFeed(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<LiveFeedRegistration>().Single().Registered;

    private static async Task<HubConnection> Watch(HubConnection screen, string entity, Channel<double> pm25)
    {
        screen.On<EntityUpdate[]>("update", frame =>
        {
            foreach (var update in frame.Where(u => u.Id == entity))
                foreach (var rollup in update.Rollups.Where(r => r.Metric == "pm25"))
                    pm25.Writer.TryWrite(rollup.Value);
        });
        await screen.StartAsync(Cancel);
        await screen.InvokeAsync<EntitySnapshot>("Subscribe", entity, Cancel);
        return screen;
    }

    private static async Task Receive(Channel<double> pm25, double value)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(Patience);
        while (await pm25.Reader.ReadAsync(timeout.Token) != value) { }
    }
}
