using System.Net.WebSockets;
using System.Text;

namespace Ioc.LoadGen;

/// <summary>
/// A screen that subscribes and then never reads again, as a hung browser tab or a wall PC whose network
/// stalled would: a raw WebSocket speaking just enough of the SignalR JSON protocol to subscribe. The hub
/// must cut it off without delaying anyone else.
/// </summary>
public sealed class FrozenScreen : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket;

    private FrozenScreen(ClientWebSocket socket) => _socket = socket;

    /// <summary>Connects, subscribes to <paramref name="entities"/>, and stops reading.</summary>
    public static async Task<FrozenScreen> ConnectAsync(LoadTarget target, string bearer, IEnumerable<string> entities, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {bearer}");
        var uri = new UriBuilder(new Uri(target.BaseAddress, "/hubs/live")) { Scheme = target.BaseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(uri, cancellationToken);
        await Send(socket, "{\"protocol\":\"json\",\"version\":1}", cancellationToken);
        // The handshake answer; after it, nothing more is read until the end.
        await socket.ReceiveAsync(new byte[4096], cancellationToken);
        var id = 0;
        foreach (var entity in entities)
            await Send(socket, $"{{\"type\":1,\"invocationId\":\"{id++}\",\"target\":\"Subscribe\",\"arguments\":[\"{entity}\"]}}", cancellationToken);
        return new FrozenScreen(socket);
    }

    /// <summary>
    /// Reads what the hub had left in flight, for at most <paramref name="timeout"/>: true when the hub
    /// closed the connection (cut the screen off), false when data kept coming.
    /// </summary>
    public async Task<bool> WasCutOffAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, limit.Token);
                if (result.MessageType == WebSocketMessageType.Close) return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static Task Send(ClientWebSocket socket, string message, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, true, cancellationToken);
}
