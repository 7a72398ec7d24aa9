using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Contracts;
using Microsoft.AspNetCore.SignalR;

namespace Ioc.Gateway.Live;

/// <summary>
/// One screen's connection. Updates for the entities it watches fold into a pending frame keyed by
/// entity (and, inside an entity, by metric and child), which bounds its memory by what it watches,
/// however fast updates come. A frame goes out at once when the connection is idle, and at most once
/// per push interval while it is busy; the interval stretches from <see cref="LivePushOptions.MinPushInterval"/>
/// to <see cref="LivePushOptions.PushInterval"/> with the number of screens connected. A screen that does not take a frame within the send timeout is
/// cut off; it reconnects and resynchronises. Each connection has its own send loop, so a slow screen
/// only ever delays itself. Alerts fold by alert id, newest version kept, and go out as an
/// <c>alert</c> frame.
/// </summary>
public sealed partial class ScreenConnection
{
    private readonly object _gate = new();
    private readonly Dictionary<string, EntityUpdate> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _pendingAlerts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _subscriptions = new(StringComparer.Ordinal);
    // The watched entities whose updates this screen wants with the children that changed; the rest go without.
    private readonly HashSet<string> _withChildren = new(StringComparer.Ordinal);
    // Capacity one, dropping writes: a wake-up is a flag, not a queue, so it cannot grow.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly HubCallerContext _context;
    private readonly IHubContext<LiveHub> _hub;
    private readonly LivePushOptions _options;
    private readonly Func<int> _screens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _closed;

    internal ScreenConnection(HubCallerContext context, IHubContext<LiveHub> hub, LivePushOptions options, Func<int> screens, TimeProvider time, ILogger logger)
    {
        _context = context;
        _hub = hub;
        _options = options;
        _screens = screens;
        _time = time;
        _logger = logger;
        Loop = Task.Run(SendLoop);
    }

    /// <summary>The SignalR connection id.</summary>
    public string ConnectionId => _context.ConnectionId;

    /// <summary>The send loop, which ends when the connection closes or is cut off.</summary>
    public Task Loop { get; }

    /// <summary>
    /// Adds a watched entity, with or without the children that change; false when the connection has closed or
    /// watches too many already.
    /// </summary>
    internal bool TryWatch(string entityId, int limit, bool withChildren)
    {
        lock (_gate)
        {
            if (_closed) return false;
            if (_subscriptions.Count >= limit && !_subscriptions.Contains(entityId)) return false;
            _subscriptions.Add(entityId);
            if (withChildren) _withChildren.Add(entityId);
            else _withChildren.Remove(entityId);
            return true;
        }
    }

    /// <summary>Stops watching an entity and drops anything pending for it.</summary>
    internal void Unwatch(string entityId)
    {
        lock (_gate)
        {
            _subscriptions.Remove(entityId);
            _withChildren.Remove(entityId);
            _pending.Remove(entityId);
        }
    }

    /// <summary>Folds an update into the next frame.</summary>
    public void Enqueue(EntityUpdate update) => Enqueue(update, update);

    /// <summary>
    /// Folds an update into the next frame: <paramref name="update"/> if the screen watches its entity with the
    /// children, else <paramref name="bare"/>, the same update without them.
    /// </summary>
    internal void Enqueue(EntityUpdate update, EntityUpdate bare)
    {
        lock (_gate)
        {
            if (_closed) return;
            var next = _withChildren.Contains(update.Id) ? update : bare;
            _pending[update.Id] = _pending.TryGetValue(update.Id, out var earlier) ? LiveUpdates.Merge(earlier, next) : next;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Folds alerts into the next frame.</summary>
    public void Enqueue(ImmutableArray<Alert> alerts)
    {
        lock (_gate)
        {
            if (_closed) return;
            foreach (var alert in alerts)
                if (!_pendingAlerts.TryGetValue(alert.Id, out var earlier) || earlier.Version < alert.Version)
                    _pendingAlerts[alert.Id] = alert;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Closes the screen's connection; the screen reconnects and resynchronises.</summary>
    internal void Abort() => _context.Abort();

    /// <summary>Ends the send loop and returns the entities the screen watched.</summary>
    internal string[] Close()
    {
        string[] watched;
        lock (_gate)
        {
            _closed = true;
            watched = [.. _subscriptions];
            _subscriptions.Clear();
            _withChildren.Clear();
            _pending.Clear();
            _pendingAlerts.Clear();
        }
        _wake.Writer.TryComplete();
        return watched;
    }

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
                if ((frame.Length > 0 && !await TrySend("update", frame)) || (alerts.Length > 0 && !await TrySend("alert", alerts)))
                {
                    LogCutOff(_logger, ConnectionId, _options.SendTimeout);
                    Close();
                    _context.Abort();
                    return;
                }
                // Busy: hold the next frame until the interval has passed, folding what arrives meanwhile.
                var wait = _options.IntervalFor(_screens()) - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, _time);
            }
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Send loop of screen {ConnectionId} ended", ConnectionId);
        }
    }

    /// <summary>Sends a frame; false when the screen did not take it within the send timeout.</summary>
    private async Task<bool> TrySend(string method, object frame)
    {
        using var timeout = new CancellationTokenSource(_options.SendTimeout, _time);
        try
        {
            // The token lets SignalR give up its flush; WaitAsync bounds the wait even where it does not.
            await _hub.Clients.Client(ConnectionId).SendAsync(method, frame, timeout.Token).WaitAsync(_options.SendTimeout, _time);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return false;
        }
        // SignalR may swallow the cancelled flush and abort the connection itself.
        return !timeout.IsCancellationRequested;
    }

    [LoggerMessage(EventId = 1, EventName = "ScreenCutOff", Level = LogLevel.Information,
        Message = "Screen {ConnectionId} did not take a frame within {Timeout}; cutting it off so that it reconnects")]
    private static partial void LogCutOff(ILogger logger, string connectionId, TimeSpan timeout);
}
