using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Ioc.Testing;

/// <summary>
/// A screen that subscribes like any other and then stops reading, as a hung browser tab or a wall PC whose
/// network stalled would. It speaks the SignalR JSON protocol over a raw WebSocket whose socket has a tiny
/// receive buffer, so the server's buffers fill as soon as it stops reading. The hub must cut it off without
/// delaying anyone else.
/// </summary>
public sealed class FrozenScreen : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket;
    private readonly StringBuilder _received = new();
    private readonly byte[] _buffer = new byte[16 * 1024];

    private FrozenScreen(ClientWebSocket socket) => _socket = socket;

    /// <summary>Connects, completes the handshake and subscribes to <paramref name="entities"/>; then reads no more.</summary>
    public static async Task<FrozenScreen> Connect(Uri baseAddress, string token, IEnumerable<string> entities, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var socket = new ClientWebSocket();
        var scheme = baseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        var uri = new UriBuilder(baseAddress) { Scheme = scheme, Path = "/hubs/live", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), cancellationToken);
        var screen = new FrozenScreen(socket);
        await screen.Send("""{"protocol":"json","version":1}""", cancellationToken);
        var handshake = await screen.ReadRecord(cancellationToken);
        if (handshake != "{}") throw new InvalidOperationException($"Handshake failed: {handshake}");
        var id = 0;
        foreach (var entity in entities)
        {
            var invocation = (++id).ToString();
            await screen.Send(JsonSerializer.Serialize(new { type = 1, invocationId = invocation, target = "Subscribe", arguments = new[] { entity } }), cancellationToken);
            while (true)
            {
                using var message = JsonDocument.Parse(await screen.ReadRecord(cancellationToken));
                if (message.RootElement.GetProperty("type").GetInt32() != 3 || message.RootElement.GetProperty("invocationId").GetString() != invocation)
                    continue;
                if (message.RootElement.TryGetProperty("error", out var error))
                    throw new InvalidOperationException($"Subscribe {entity} failed: {error}");
                break;
            }
        }
        return screen;
    }

    /// <summary>Reads what the server had buffered, and completes once the server has closed the connection.</summary>
    public async Task DrainUntilClosed(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(_buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close) return;
            }
        }
        catch (WebSocketException)
        {
            // Aborted rather than closed: cut off all the same.
        }
    }

    /// <summary>
    /// Reads what the hub had left in flight, for at most <paramref name="timeout"/>: true when the hub closed the
    /// connection (cut the screen off), false when data kept coming.
    /// </summary>
    public async Task<bool> WasCutOffAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await DrainUntilClosed(limit.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Aborts the connection.</summary>
    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task Send(string record, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(record + RecordSeparator), WebSocketMessageType.Text, true, cancellationToken);

    private async Task<string> ReadRecord(CancellationToken cancellationToken)
    {
        while (true)
        {
            var text = _received.ToString();
            var end = text.IndexOf(RecordSeparator);
            if (end >= 0)
            {
                _received.Remove(0, end + 1);
                return text[..end];
            }
            var result = await _socket.ReceiveAsync(_buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException("The hub closed the connection while subscribing.");
            _received.Append(Encoding.UTF8.GetString(_buffer, 0, result.Count));
        }
    }
}
