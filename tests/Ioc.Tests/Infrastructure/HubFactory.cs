using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// The one-command hub (silo, gateway and ingest in one process) on the real HTTP pipeline, in the
/// Development environment with the simulator off and its own Orleans ports, so that several can run
/// side by side, and its own data directory, deleted with the factory. Override <see cref="Settings"/> to
/// change configuration.
/// </summary>
public class HubFactory : WebApplicationFactory<Program>
{
    /// <summary>The development token from <c>src/Silo/appsettings.Development.json</c>.</summary>
    public const string DevToken = "dev-token-hung-yen-ioc";

    /// <summary>
    /// The hub's data directory (buffer, embedded store): a new temporary directory, deleted when the factory
    /// is, unless <see cref="Settings"/> names another.
    /// </summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ioc-hub-").FullName;

    /// <summary>Configuration applied over the hub's own.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Where the hub's log also goes, for a test that reads it; nowhere unless overridden.</summary>
    protected virtual ILoggerProvider? LogProvider => null;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        var settings = new Dictionary<string, string?>
        {
            ["Simulator:Enabled"] = "false",
            ["Cluster:SiloPort"] = FreePort.Next().ToString(),
            ["Cluster:GatewayPort"] = FreePort.Next().ToString(),
            ["Storage:DataDirectory"] = DataDirectory,
            // Many hubs run side by side in the tests; only the MQTT tests give theirs a listener, on a free port.
            ["Mqtt:Enabled"] = "false",
            // A test asks its hub at once, and some count its connections: no screen of its own before ready. The
            // warm-up is tested in a process of its own (ScreenWarmupTests).
            ["Gateway:WarmUp"] = "false",
        };
        foreach (var (key, value) in Settings) settings[key] = value;
        // Command-line style settings win over appsettings, as they would for the real process.
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (LogProvider is { } logs) builder.ConfigureLogging(logging => logging.AddProvider(logs));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>
    /// What the hub says when it refuses to start, as its settings should make it: the whole start-up failure as
    /// text, for a test to find the setting named in it. Fails the test if the hub starts.
    /// </summary>
    public string StartUpRefusal() => Assert.ThrowsAny<Exception>(() => CreateClient()).ToString();

    /// <summary>An HTTP client that carries the development token.</summary>
    public HttpClient CreateUnitClient(string token = DevToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Token", token);
        return client;
    }

    /// <summary>A bearer token for a person in <paramref name="role"/>, signed with the development key.</summary>
    public string TokenFor(string role) =>
        DevTokens.Issue(Services.GetRequiredService<IOptions<HubAuthOptions>>().Value, role, $"test-{role}", TimeSpan.FromHours(1));

    /// <summary>An HTTP client signed in as a person in <paramref name="role"/>.</summary>
    public HttpClient CreatePersonClient(string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TokenFor(role));
        return client;
    }

    /// <summary>A SignalR connection to <c>/hubs/live</c> through the test server, signed in as <paramref name="role"/>.</summary>
    public HubConnection CreateLiveConnection(string role = HubRoles.Operator, Action<IHubConnectionBuilder>? configure = null)
    {
        var token = TokenFor(role);
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, "/hubs/live"), o =>
            {
                o.HttpMessageHandlerFactory = _ => Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .AddJsonProtocol(o => ServiceDefaultsExtensions.Configure(o.PayloadSerializerOptions));
        configure?.Invoke(builder);
        return builder.Build();
    }
}
