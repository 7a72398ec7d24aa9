using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Ioc.Gateway.Live;

/// <summary>
/// Before the process reports ready, one screen connects to its own live hub over a loopback WebSocket and
/// subscribes as the wall does: to alerts, the province and a locality. A gateway's first screens come all at once
/// (after a restart every wall reconnects), and in a fresh process each of them paid for code run for the first time:
/// the WebSocket upgrade, the bearer check, the hub's dispatch, the reads and their JSON. Measured at 1,000 units on
/// the 2-core machine, the first storm of 100 screens took 1.1 s a screen, and the next ones 0.2–0.4 s, most of the
/// difference in the JIT compiler. The warm-up is a readiness condition, so traffic waits for it; it is bounded, and
/// if it fails the process is ready anyway and says so in its log: a cold path is slower, not wrong.
/// </summary>
/// <remarks>
/// It needs a plain-HTTP address of this process and the local signing key to sign itself a short operator's token;
/// without either (an identity provider signs the tokens, or the server is not Kestrel) it does nothing.
/// </remarks>
internal sealed class ScreenWarmup(
    IServer server, Readiness readiness, IOptions<HubAuthOptions> auth, IOptions<LivePushOptions> options, Catalog catalog, ILogger<ScreenWarmup> logger)
    : IHostedLifecycleService
{
    /// <summary>The readiness condition.</summary>
    public const string ScreenPathWarmed = "screen path warmed";

    private const char RecordSeparator = '\u001e';
    private readonly CancellationTokenSource _stopping = new();
    private Task _warming = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        readiness.Require(ScreenPathWarmed);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every hosted service has started, the server among them: its addresses are bound.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (options.Value.WarmUp && auth.Value.SigningKey is not null && LoopbackAddress() is { } address)
        {
            _warming = WarmUp(address);
        }
        else
        {
            readiness.Met(ScreenPathWarmed);
        }
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _warming.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException || _stopping.IsCancellationRequested)
        {
            // Stopping: a warm-up cut short has nothing to report.
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopping.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The hub's address on loopback, from the first plain-HTTP address the server listens on.</summary>
    private Uri? LoopbackAddress()
    {
        if (server.GetType().Assembly.GetName().Name == "Microsoft.AspNetCore.TestHost")
            return null;
        foreach (var address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            // Kestrel reports wildcard hosts ("http://[::]:5000", "http://+:5000") as given; the port is what counts.
            var normalized = address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal);
            if (Uri.TryCreate(normalized, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp)
                return new Uri($"ws://127.0.0.1:{uri.Port}/hubs/live");
        }
        return null;
    }

    private async Task WarmUp(Uri hub)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            bound.CancelAfter(options.Value.WarmUpTimeout);
            var token = DevTokens.Issue(auth.Value, HubRoles.Operator, "screen warm-up", options.Value.WarmUpTimeout + TimeSpan.FromMinutes(1));
            var locality = catalog.Entities.FirstOrDefault(e => e.IsLocality);
            await Screen(new Uri($"{hub}?access_token={Uri.EscapeDataString(token)}"), locality?.Id, bound.Token);
            logger.LogInformation("Warmed the screens' path in {Elapsed}: one screen connected to {Hub} and subscribed as the wall does",
                TimeProvider.System.GetElapsedTime(started), hub.GetLeftPart(UriPartial.Path));
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Could not warm the screens' path within {Timeout}; ready anyway, the first screens will be slower", options.Value.WarmUpTimeout);
        }
        finally
        {
            readiness.Met(ScreenPathWarmed);
        }
    }

    /// <summary>One screen on SignalR's JSON protocol: handshake, then each subscription in turn, each awaited.</summary>
    private async Task Screen(Uri address, string? locality, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(address, cancellationToken);
        var reader = new Frames(socket);
        await Send(socket, """{"protocol":"json","version":1}""", cancellationToken);
        if (await reader.Next(cancellationToken) is not "{}")
            throw new InvalidOperationException("The live hub refused the handshake.");
        var calls = new List<(string Target, object[] Arguments)> { ("SubscribeAlerts", []), ("Subscribe", [catalog.Province.Id]) };
        if (locality is not null)
            calls.Add(("Subscribe", [locality]));
        for (var i = 0; i < calls.Count; i++)
        {
            var id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Send(socket, JsonSerializer.Serialize(new { type = 1, invocationId = id, target = calls[i].Target, arguments = calls[i].Arguments }), cancellationToken);
            // Pings and pushed updates may come first; the call's completion carries its id.
            while (true)
            {
                using var message = JsonDocument.Parse(await reader.Next(cancellationToken));
                var root = message.RootElement;
                if (root.GetProperty("type").GetInt32() != 3 || root.GetProperty("invocationId").GetString() != id)
                    continue;
                if (root.TryGetProperty("error", out var error))
                    throw new InvalidOperationException($"The live hub answered {calls[i].Target} with an error: {error.GetString()}");
                break;
            }
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "warmed", cancellationToken);
    }

    private static Task Send(ClientWebSocket socket, string message, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>Splits what the hub sends into its messages, which end with a record separator and may share a frame or span several.</summary>
    private sealed class Frames(ClientWebSocket socket)
    {
        private readonly StringBuilder _pending = new();
        private readonly byte[] _buffer = new byte[16 * 1024];
        private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();

        public async Task<string> Next(CancellationToken cancellationToken)
        {
            while (true)
            {
                var text = _pending.ToString();
                if (text.IndexOf(RecordSeparator, StringComparison.Ordinal) is var end and >= 0)
                {
                    _pending.Remove(0, end + 1);
                    return text[..end];
                }
                var received = await socket.ReceiveAsync(_buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                    throw new InvalidOperationException($"The live hub closed the connection: {received.CloseStatus} {received.CloseStatusDescription}");
                var chars = new char[_decoder.GetCharCount(_buffer, 0, received.Count)];
                _decoder.GetChars(_buffer, 0, received.Count, chars, 0);
                _pending.Append(chars);
            }
        }
    }
}
