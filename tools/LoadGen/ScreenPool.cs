using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Ioc.LoadGen;

/// <summary>The part of an <c>update</c> frame entry the screens read; the rest of <c>EntityUpdate</c> is ignored.</summary>
internal sealed record UpdateFrame(string Id, long Sequence, MetricFrame[]? Metrics, RollupFrame[]? Rollups);

internal sealed record MetricFrame(string Metric, double Value, DateTimeOffset Timestamp);

internal sealed record RollupFrame(string Metric, double Value, int Units, DateTimeOffset Timestamp);

/// <summary>What the screens saw during one run.</summary>
/// <param name="Connected">Screens connected and subscribed.</param>
/// <param name="Complete">Screens that saw the last value sent for every series they watch before the settle timeout.</param>
/// <param name="Frames">Update frames received.</param>
/// <param name="Unit">Ingest-to-screen latency of new unit values: receive time minus the point's timestamp, which is its send time.</param>
/// <param name="Rollup">The same for locality roll-ups, whose timestamp is the newest contributing point's.</param>
public sealed record ScreenReport(int Connected, int Complete, long Frames, Percentiles Unit, Percentiles Rollup);

/// <summary>
/// K SignalR screens on <c>/hubs/live</c>. Screen k watches a few units spread over the space and one
/// locality. A point's timestamp is the moment it was sent, so when a screen first sees a value newer
/// than any it has seen for that unit and metric, its age is the ingest-to-screen latency.
/// </summary>
public sealed class ScreenPool : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly List<Screen> _screens = [];
    private readonly Histogram _unit = new();
    private readonly Histogram _rollup = new();
    private long _frames;
    private long _sinceMs = long.MaxValue;

    private ScreenPool() { }

    /// <summary>Screens connected and subscribed.</summary>
    public int Count => _screens.Count;

    /// <summary>
    /// Connects <paramref name="count"/> screens, at most <paramref name="parallel"/> at a time, each
    /// watching <paramref name="watchUnits"/> units and, if asked, its locality.
    /// </summary>
    public static async Task<ScreenPool> ConnectAsync(
        LoadTarget target, string bearer, SeriesSpace series, int count, int watchUnits, bool watchLocality,
        Action<string>? log, CancellationToken cancellationToken, int parallel = 32)
    {
        var pool = new ScreenPool();
        var gate = new SemaphoreSlim(parallel);
        var tasks = new List<Task<Screen>>();
        for (var k = 0; k < count; k++)
        {
            var units = Enumerable.Range(0, Math.Min(watchUnits, series.Units.Count))
                .Select(j => series.Units[(int)(((long)k * watchUnits + j) % series.Units.Count)]).ToArray();
            var locality = watchLocality && series.Localities.Count > 0 ? series.Localities[k % series.Localities.Count] : null;
            tasks.Add(Connect(pool, target, bearer, units, locality, gate, cancellationToken));
        }
        try
        {
            foreach (var t in tasks)
                pool._screens.Add(await t);
        }
        catch
        {
            await pool.DisposeAsync();
            foreach (var t in tasks)
                if (t.IsCompletedSuccessfully) await t.Result.Connection.DisposeAsync();
            throw;
        }
        log?.Invoke($"{count} screens connected");
        return pool;
    }

    private static async Task<Screen> Connect(ScreenPool pool, LoadTarget target, string bearer, SeriesUnit[] units, string? locality, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var connection = BuildConnection(target, bearer);
            var screen = new Screen(pool, connection, units);
            connection.On<UpdateFrame[]>("update", screen.OnFrame);
            await connection.StartAsync(cancellationToken);
            foreach (var unit in units)
                await connection.InvokeAsync<JsonElement>("Subscribe", unit.Id, cancellationToken);
            if (locality is not null)
                await connection.InvokeAsync<JsonElement>("Subscribe", locality, cancellationToken);
            return screen;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A connection to <c>/hubs/live</c> as a wall screen opens it; not started.</summary>
    internal static HubConnection BuildConnection(LoadTarget target, string bearer)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(target.BaseAddress, "/hubs/live"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(bearer);
                if (target.Handler is { } handler)
                    o.HttpMessageHandlerFactory = _ => handler();
                target.ConfigureScreens?.Invoke(o);
            })
            .AddJsonProtocol(o =>
            {
                o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
                o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            })
            .Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(2);
        return connection;
    }

    /// <summary>Starts a run: forgets earlier samples and counts only points stamped at or after <paramref name="since"/>.</summary>
    internal void Arm(DateTimeOffset since)
    {
        _unit.Reset();
        _rollup.Reset();
        Interlocked.Exchange(ref _frames, 0);
        Volatile.Write(ref _sinceMs, since.ToUnixTimeMilliseconds());
        foreach (var s in _screens) s.Expect(null);
    }

    /// <summary>
    /// Waits, up to <paramref name="timeout"/>, until every screen has seen the last timestamp sent for each
    /// series it watches (<paramref name="lastSent"/>, by series index; 0 for series never sent). Returns how many did.
    /// </summary>
    internal async Task<int> SettleAsync(long[] lastSent, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waits = _screens.Select(s => s.Expect(lastSent)).ToArray();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await Task.WhenAll(waits).WaitAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Screens that did not see everything in time count as incomplete.
        }
        return waits.Count(w => w.IsCompletedSuccessfully);
    }

    internal ScreenReport Report(int complete) =>
        new(_screens.Count, complete, Interlocked.Read(ref _frames), _unit.Snapshot(), _rollup.Snapshot());

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_screens.Select(async s =>
        {
            try { await s.Connection.DisposeAsync(); }
            catch (Exception) { /* The hub may be gone already. */ }
        }));
        _screens.Clear();
    }

    private sealed class Screen
    {
        private readonly ScreenPool _pool;
        private readonly Dictionary<(string Entity, string Metric), long> _seen = [];
        private readonly SeriesUnit[] _units;
        private readonly object _gate = new();
        private Dictionary<(string, string), long>? _expected;
        private TaskCompletionSource? _settled;

        public Screen(ScreenPool pool, HubConnection connection, SeriesUnit[] units)
        {
            _pool = pool;
            Connection = connection;
            _units = units;
        }

        public HubConnection Connection { get; }

        public Task Expect(long[]? lastSent)
        {
            lock (_gate)
            {
                _settled?.TrySetCanceled();
                if (lastSent is null)
                {
                    _expected = null;
                    _settled = null;
                    return Task.CompletedTask;
                }
                _expected = [];
                foreach (var unit in _units)
                    for (var m = 0; m < unit.Metrics.Length; m++)
                        if (lastSent[unit.FirstSeries + m] is > 0 and var ts && (!_seen.TryGetValue((unit.Id, unit.Metrics[m]), out var seen) || seen < ts))
                            _expected[(unit.Id, unit.Metrics[m])] = ts;
                _settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_expected.Count == 0) _settled.TrySetResult();
                return _settled.Task;
            }
        }

        public void OnFrame(UpdateFrame[] frame)
        {
            var nowUs = DateTimeOffset.UtcNow.Ticks / TimeSpan.TicksPerMicrosecond - DateTimeOffset.UnixEpoch.Ticks / TimeSpan.TicksPerMicrosecond;
            var sinceMs = Volatile.Read(ref _pool._sinceMs);
            Interlocked.Increment(ref _pool._frames);
            lock (_gate)
            {
                foreach (var update in frame)
                {
                    foreach (var m in update.Metrics ?? [])
                        Saw(update.Id, m.Metric, m.Timestamp, nowUs, sinceMs, _pool._unit);
                    foreach (var r in update.Rollups ?? [])
                        if (r.Units > 0) Saw(update.Id, r.Metric, r.Timestamp, nowUs, sinceMs, _pool._rollup);
                }
            }
        }

        private void Saw(string entity, string metric, DateTimeOffset timestamp, long nowUs, long sinceMs, Histogram histogram)
        {
            var ms = timestamp.ToUnixTimeMilliseconds();
            var key = (entity, metric);
            if (_seen.TryGetValue(key, out var seen) && seen >= ms) return;
            _seen[key] = ms;
            if (ms >= sinceMs)
                histogram.Record(nowUs - ms * 1000);
            if (_expected is not null && _expected.TryGetValue(key, out var want) && ms >= want)
            {
                _expected.Remove(key);
                if (_expected.Count == 0) _settled?.TrySetResult();
            }
        }
    }
}
