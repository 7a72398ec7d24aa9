using System.Net.Sockets;

namespace Ioc.Tests.Hardening;

/// <summary>
/// Each resource a process can run out of shows in readiness with its limit: connections against Kestrel's limit
/// (and the ones it turned away at it), the write-ahead buffer against its caps, the disk against its reserve.
/// </summary>
public sealed class ResourceLimitTests(ResourceLimitTests.Hub hub) : IClassFixture<ResourceLimitTests.Hub>
{
    /// <summary>A hub on real sockets that takes three connections at a time, with small buffer caps.</summary>
    public sealed class Hub : KestrelHubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kestrel:Limits:MaxConcurrentConnections"] = "3",
            ["Buffer:MaxPoints"] = "5000",
            ["Buffer:MaxBytes"] = "1048576",
            ["Buffer:MinFreeDiskBytes"] = "1024",
        };
    }

    /// <summary>One client on one kept-alive connection, so that the test knows how many connections are open.</summary>
    private HttpClient OneConnection() =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = hub.BaseAddress };

    private static async Task<JsonElement> Check(HttpClient client, string name) =>
        (await client.GetFromJsonAsync<JsonElement>("/health/ready", Cancel)).GetProperty("checks").GetProperty(name);

    /// <summary>A connection Kestrel has taken: it has answered a request on it, and keeps it open.</summary>
    private async Task<TcpClient> Connected()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", hub.Port, Cancel);
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /health/live HTTP/1.1\r\nHost: hub\r\n\r\n"u8.ToArray(), Cancel);
        var answer = new byte[4096];
        var read = await stream.ReadAsync(answer, Cancel);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(answer, 0, read));
        return tcp;
    }

    [Fact]
    public async Task Readiness_shows_connections_against_Kestrels_limit_names_it_nearly_exhausted_counts_those_turned_away_and_shows_the_buffers_caps()
    {
        using var client = OneConnection();
        var quiet = (await Check(client, "resources")).GetProperty("data");
        Assert.Equal(3, quiet.GetProperty("httpConnectionsLimit").GetInt64());
        Assert.Equal(-1, quiet.GetProperty("upgradedConnectionsLimit").GetInt64());
        Assert.Equal(0, quiet.GetProperty("httpConnectionsRejected").GetInt64());
        Assert.DoesNotContain("connections", quiet.GetProperty("exhausted").EnumerateArray().Select(e => e.GetString()));

        using var second = await Connected();
        using var third = await Connected();
        var full = await Check(client, "resources");
        Assert.Equal("Degraded", full.GetProperty("status").GetString());
        Assert.Contains("connections (3 of 3 open, Kestrel:Limits:MaxConcurrentConnections)", full.GetProperty("description").GetString());
        Assert.Contains("connections", full.GetProperty("data").GetProperty("exhausted").EnumerateArray().Select(e => e.GetString()));

        // A fourth is closed as soon as Kestrel takes it: the end of its stream is the signal that it was turned away.
        using (var fourth = new TcpClient())
        {
            await fourth.ConnectAsync("127.0.0.1", hub.Port, Cancel);
            try
            {
                Assert.Equal(0, await fourth.GetStream().ReadAsync(new byte[16], Cancel));
            }
            catch (IOException)
            {
                // Reset rather than closed: turned away all the same.
            }
        }
        Assert.Equal(1, (await Check(client, "resources")).GetProperty("data").GetProperty("httpConnectionsRejected").GetInt64());

        // The buffer against its caps and the disk against its reserve, in the same readiness answer.
        var buffer = (await Check(client, "time-series")).GetProperty("data");
        Assert.Equal(5000, buffer.GetProperty("bufferMaxPoints").GetInt64());
        Assert.Equal(1048576, buffer.GetProperty("bufferMaxBytes").GetInt64());
        Assert.Equal(1024, buffer.GetProperty("diskReserveBytes").GetInt64());
        Assert.True(buffer.GetProperty("diskFreeBytes").GetInt64() > 1024);
        Assert.Equal("Closed", buffer.GetProperty("breaker").GetString());
    }
}
