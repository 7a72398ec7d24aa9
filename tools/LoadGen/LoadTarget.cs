using Microsoft.AspNetCore.Http.Connections.Client;

namespace Ioc.LoadGen;

/// <summary>
/// Where a run sends its points: a hub, or the time-series server itself for the baseline.
/// </summary>
/// <param name="BaseAddress">The server's base address (loopback).</param>
/// <param name="Handler">Makes the HTTP handler; null for a real socket connection pool. Tests pass the test server's.</param>
/// <param name="ConfigureScreens">Adjusts the screens' SignalR connection options (transport, test-server handler).</param>
public sealed record LoadTarget(Uri BaseAddress, Func<HttpMessageHandler>? Handler = null, Action<HttpConnectionOptions>? ConfigureScreens = null)
{
    /// <summary>An HTTP client for this target that keeps up to <paramref name="connections"/> connections open.</summary>
    public HttpClient CreateClient(int connections)
    {
        var handler = Handler?.Invoke() ?? new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A development bearer token for <paramref name="role"/> from <c>GET /dev/token</c>.</summary>
    public async Task<string> DevBearerAsync(string role, CancellationToken cancellationToken)
    {
        using var client = CreateClient(1);
        return (await client.GetStringAsync($"/dev/token?role={role}", cancellationToken)).Trim();
    }
}
