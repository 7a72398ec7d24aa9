using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Cluster;

/// <summary>A value a screen put on display.</summary>
public sealed record ShownValue(string Entity, string Metric, double Value, bool FromSnapshot, Uri Gateway);

/// <summary>
/// A wall screen, as the wall page behaves: it subscribes to entities, applies each update only if it continues
/// the entity's sequence, and on a gap resubscribes for a fresh snapshot, keeping updates that arrive meanwhile.
/// When its connection drops it reconnects through the next gateway, as an ingress would send it to a live pod,
/// and resubscribes. Every value it shows is checked by <c>judge</c>, which names what is wrong with a value.
/// </summary>
public sealed class TestScreen : IAsyncDisposable
{
    private sealed class Watched
    {
        public long Sequence;
        public bool Resyncing;
        public readonly List<EntityUpdate> Held = [];
    }

    private readonly IReadOnlyList<Uri> _gateways;
    private readonly Func<string, string, double, double?, string?> _judge;
    private readonly object _gate = new();
    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), double> _shown = [];
    private readonly Channel<ShownValue> _shownValues = Channel.CreateUnbounded<ShownValue>();
    private readonly Channel<Uri> _reconnected = Channel.CreateUnbounded<Uri>();
    private readonly List<string> _violations = [];
    private HubConnection? _connection;
    private Uri _gateway;
    private int _gatewayIndex;
    private bool _disposed;

    /// <param name="gateways">Gateways in the order an ingress would try them.</param>
    /// <param name="judge">Given entity, metric, value and the value shown before (if any), what is wrong with it, or null.</param>
    public TestScreen(IReadOnlyList<Uri> gateways, Func<string, string, double, double?, string?> judge)
    {
        _gateways = gateways;
        _judge = judge;
        _gateway = gateways[0];
    }

    /// <summary>Values as they are shown.</summary>
    public ChannelReader<ShownValue> Shown => _shownValues.Reader;

    /// <summary>The gateway of each reconnection, once it has resubscribed.</summary>
    public ChannelReader<Uri> Reconnected => _reconnected.Reader;

    /// <summary>How many sequence gaps the screen saw and resynchronised after.</summary>
    public int Gaps { get; private set; }

    /// <summary>When each resynchronisation of an entity began and how it ended, to read where a slow test's seconds went.</summary>
    public IReadOnlyList<string> ResyncsOf(string entityId)
    {
        lock (_gate) return [.. _resyncs.Where(r => r.Entity == entityId).Select(r => $"{r.At:HH:mm:ss.fff} {r.What}")];
    }

    private readonly List<(string Entity, DateTime At, string What)> _resyncs = [];

    /// <summary>Wrong values the screen was given, described.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate) return [.. _violations];
        }
    }

    /// <summary>Connects through the first gateway.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken) => Connect(_gateways[0], cancellationToken);

    /// <summary>Watches an entity; its snapshot is shown at once.</summary>
    public async Task SubscribeAsync(string entityId, CancellationToken cancellationToken)
    {
        lock (_gate) _watched[entityId] = new Watched { Resyncing = true };
        await Resync(_connection!, entityId, cancellationToken);
    }

    /// <summary>Waits until <paramref name="entityId"/> shows a value of <paramref name="metric"/> that satisfies <paramref name="predicate"/>.</summary>
    public async Task<ShownValue> WaitUntilShown(string entityId, string metric, Func<ShownValue, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await foreach (var shown in _shownValues.Reader.ReadAllAsync(cts.Token))
                if (shown.Entity == entityId && shown.Metric == metric && predicate(shown))
                    return shown;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        throw new TimeoutException($"{entityId} showed no matching {metric} within {timeout}.");
    }

    private async Task Connect(Uri gateway, CancellationToken cancellationToken)
    {
        var token = ClusterUnderTest.OperatorToken();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, "/hubs/live"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .AddJsonProtocol(o => ServiceDefaultsExtensions.Configure(o.PayloadSerializerOptions))
            .Build();
        connection.On<EntityUpdate[]>("update", frame => OnFrame(connection, frame));
        connection.Closed += _ => OnClosed();
        await connection.StartAsync(cancellationToken);
        lock (_gate)
        {
            _connection = connection;
            _gateway = gateway;
        }
    }

    private void OnFrame(HubConnection connection, EntityUpdate[] frame)
    {
        lock (_gate)
        {
            foreach (var update in frame)
            {
                if (!_watched.TryGetValue(update.Id, out var watched)) continue;
                if (watched.Resyncing)
                {
                    watched.Held.Add(update);
                    continue;
                }
                if (update.Sequence <= watched.Sequence) continue; // late or repeated: already reflected
                if (update.FromSequence > watched.Sequence + 1)
                {
                    // A gap: what happened in between is unknown, so start again from a snapshot.
                    Gaps++;
                    watched.Resyncing = true;
                    watched.Held.Add(update);
                    _ = Resync(connection, update.Id, CancellationToken.None);
                    continue;
                }
                Apply(update.Id, update.Metrics, fromSnapshot: false);
                watched.Sequence = update.Sequence;
            }
        }
    }

    private async Task Resync(HubConnection connection, string entityId, CancellationToken cancellationToken)
    {
        EntitySnapshot snapshot;
        lock (_gate) _resyncs.Add((entityId, DateTime.Now, "gap: subscribing again"));
        try
        {
            snapshot = await connection.InvokeAsync<EntitySnapshot>("Subscribe", entityId, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.CanBeCanceled)
        {
            lock (_gate)
            {
                _resyncs.Add((entityId, DateTime.Now, $"subscribe failed: {ex.Message}"));
                // The connection dropped, and the reconnection resubscribes; or the hub could not read the snapshot (its
                // silo was stopping) on a connection that stays up: then, as the wall does, the screen keeps what it
                // showed and the next update, a gap from it, subscribes again.
                if (ReferenceEquals(connection, _connection) && connection.State == HubConnectionState.Connected)
                {
                    var watched = _watched[entityId];
                    watched.Resyncing = false;
                    watched.Held.Clear();
                }
            }
            return;
        }
        lock (_gate)
        {
            _resyncs.Add((entityId, DateTime.Now, $"snapshot at sequence {snapshot.Sequence}"));
            var watched = _watched[entityId];
            Apply(entityId, snapshot.Metrics, fromSnapshot: true);
            watched.Sequence = snapshot.Sequence;
            watched.Resyncing = false;
            var held = watched.Held.OrderBy(u => u.Sequence).ToList();
            watched.Held.Clear();
            foreach (var update in held.Where(u => u.Sequence > watched.Sequence))
            {
                if (update.FromSequence > watched.Sequence + 1) break; // still a gap; the next update triggers another resync
                Apply(entityId, update.Metrics, fromSnapshot: false);
                watched.Sequence = update.Sequence;
            }
        }
    }

    private void Apply(string entityId, IEnumerable<MetricValue> metrics, bool fromSnapshot)
    {
        foreach (var m in metrics)
        {
            double? before = _shown.TryGetValue((entityId, m.Metric), out var b) ? b : null;
            if (_judge(entityId, m.Metric, m.Value, before) is { } wrong)
                _violations.Add($"{entityId}/{m.Metric} via {_gateway}{(fromSnapshot ? " (snapshot)" : "")}: {wrong}");
            _shown[(entityId, m.Metric)] = m.Value;
            _shownValues.Writer.TryWrite(new ShownValue(entityId, m.Metric, m.Value, fromSnapshot, _gateway));
        }
    }

    private async Task OnClosed()
    {
        string[] entities;
        lock (_gate)
        {
            if (_disposed) return;
            entities = [.. _watched.Keys];
            foreach (var w in _watched.Values) w.Resyncing = true;
        }
        // Try the gateways in turn, as an ingress would once the pod behind the affinity cookie is gone.
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var gateway = _gateways[++_gatewayIndex % _gateways.Count];
            try
            {
                await Connect(gateway, CancellationToken.None);
                foreach (var entity in entities)
                    await Resync(_connection!, entity, CancellationToken.None);
                _reconnected.Writer.TryWrite(gateway);
                return;
            }
            catch (Exception)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        HubConnection? connection;
        lock (_gate)
        {
            _disposed = true;
            connection = _connection;
        }
        if (connection is not null) await connection.DisposeAsync();
    }
}
