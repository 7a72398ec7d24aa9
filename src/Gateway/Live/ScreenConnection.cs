using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Contracts;
using Microsoft.AspNetCore.SignalR;

namespace Ioc.Gateway.Live;

/// <summary>
/// One screen's connection. Updates for the entities it watches fold into a pending frame keyed by
/// entity, which bounds its memory by the number of entities it watches; alerts fold by alert id,
/// newest version kept, and go out as an <c>alert</c> frame. A frame goes out at once
/// when the connection is idle, and at most once per push interval while it is busy. A screen that
/// does not take a frame within the send timeout is cut off; it reconnects and resynchronises.
/// </summary>
public sealed class ScreenConnection
{
    private readonly object _gate = new();
    private readonly Dictionary<string, EntityUpdate> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _pendingAlerts = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly HubCallerContext _context;
    private readonly IHubContext<LiveHub> _hub;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal ScreenConnection(HubCallerContext context, IHubContext<LiveHub> hub, GatewayOptions options, TimeProvider time, ILogger logger)
    {
        _context = context;
        _hub = hub;
        _options = options;
        _time = time;
        _logger = logger;
        Loop = Task.Run(SendLoop);
    }

    /// <summary>The SignalR connection id.</summary>
    public string ConnectionId => _context.ConnectionId;

    /// <summary>The entities this screen watches.</summary>
    public HashSet<string> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>The send loop, which ends when the connection closes.</summary>
    public Task Loop { get; }

    /// <summary>Folds an update into the next frame.</summary>
    public void Enqueue(EntityUpdate update)
    {
        lock (_gate)
            _pending[update.Id] = _pending.TryGetValue(update.Id, out var earlier) ? LiveUpdates.Merge(earlier, update) : update;
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Folds alerts into the next frame.</summary>
    public void Enqueue(ImmutableArray<Alert> alerts)
    {
        lock (_gate)
        {
            foreach (var alert in alerts)
                if (!_pendingAlerts.TryGetValue(alert.Id, out var earlier) || earlier.Version < alert.Version)
                    _pendingAlerts[alert.Id] = alert;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Drops anything pending for an entity, as the screen stops watching it.</summary>
    public void Forget(string entityId)
    {
        lock (_gate)
            _pending.Remove(entityId);
    }

    /// <summary>Ends the send loop.</summary>
    public void Close() => _wake.Writer.TryComplete();

    private async Task SendLoop()
    {
        var reader = _wake.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                reader.TryRead(out _);
                EntityUpdate[] frame;
                Alert[] alerts;
                lock (_gate)
                {
                    if (_pending.Count == 0 && _pendingAlerts.Count == 0) continue;
                    frame = [.. _pending.Values];
                    _pending.Clear();
                    alerts = [.. _pendingAlerts.Values];
                    _pendingAlerts.Clear();
                }
                var started = _time.GetTimestamp();
                using (var timeout = new CancellationTokenSource(_options.SendTimeout, _time))
                {
                    try
                    {
                        var client = _hub.Clients.Client(ConnectionId);
                        if (frame.Length > 0)
                            await client.SendAsync("update", frame, timeout.Token);
                        if (alerts.Length > 0)
                            await client.SendAsync("alert", alerts, timeout.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        _logger.LogInformation("Screen {ConnectionId} did not take a frame within {Timeout}; disconnecting it", ConnectionId, _options.SendTimeout);
                        _context.Abort();
                        return;
                    }
                }
                // Busy: hold the next frame until the interval has passed, folding what arrives meanwhile.
                var wait = _options.PushInterval - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, _time);
            }
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Send loop of screen {ConnectionId} ended", ConnectionId);
        }
    }
}
