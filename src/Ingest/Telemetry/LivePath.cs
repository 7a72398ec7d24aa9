using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Ioc.Contracts;
using Ioc.TimeSeries;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Carries accepted points to the unit grains. Each unit has at most one call in flight; whatever arrives for
/// it meanwhile goes out as its next call, so the number of grain calls follows the number of active units,
/// not the number of requests. Units do not wait for each other: a unit whose silo has just died holds up
/// only its own points, and after <see cref="IngestOptions.LiveReportTimeout"/> its next points go out in a
/// new call, which finds the unit once it has moved to a survivor. A unit active in this very process (the
/// one-command hub) gets its points as a work item on its own scheduler instead (<see cref="LocalUnits"/>).
/// A unit is delivered to at most once per <see cref="IngestOptions.LiveUnitInterval"/>: under load its points
/// gather for the next delivery, so what a unit costs per second is bounded whatever the shape of the requests.
/// While in-process deliveries wait for their turn on a busy machine, the interval grows towards
/// <see cref="IngestOptions.LiveUnitMaxInterval"/> (<see cref="DeliveryPacing"/>).
/// </summary>
public sealed class LivePath(
    IGrainFactory grains, IngestMetrics metrics, IOptions<IngestOptions> options, ILogger<LivePath> logger, LocalUnits? localUnits = null)
    : BackgroundService
{
    // Unbounded as a channel: the bound is in points (Ingest:LivePathQueuePoints), kept by Enqueue and the loop.
    private readonly Channel<IReadOnlyList<TelemetryPoint>> _queue = Channel.CreateUnbounded<IReadOnlyList<TelemetryPoint>>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _room = new();
    private readonly int _maxQueued = options.Value.LivePathQueuePoints;
    // Points queued and not yet taken by the loop; under _room.
    private long _queued;
    // Completed, and replaced, each time the loop takes points; writers waiting for room wait on it. Under _room.
    private TaskCompletionSource? _roomMade;
    // A flag, not a queue: points were queued or a unit's call ended.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Units whose call ended (answered, failed or waited for long enough), handed back to the loop.
    private readonly ConcurrentQueue<Pending> _done = new();
    private readonly DeliveryPacing _pacing = new(options.Value.LiveUnitInterval, options.Value.LiveUnitMaxInterval, TimeSpan.FromMilliseconds(100));
    private Exception? _lastFailure;
    private int _failures;

    /// <summary>
    /// Queues accepted points; waits only when the live path has fallen far behind, until it has taken enough that
    /// these fit within <see cref="IngestOptions.LivePathQueuePoints"/> (or the queue is empty).
    /// </summary>
    public async ValueTask Enqueue(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task roomMade;
            lock (_room)
            {
                if (_queued == 0 || _queued + points.Count <= _maxQueued)
                {
                    _queued += points.Count;
                    // Written under the lock, so that requests queue in the order they were given room.
                    _queue.Writer.TryWrite(points);
                    break;
                }
                _roomMade ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                roomMade = _roomMade.Task;
            }
            _wake.Writer.TryWrite(true);
            await roomMade.WaitAsync(cancellationToken);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Points waiting for the live path.</summary>
    public long Queued
    {
        get { lock (_room) return _queued; }
    }

    private void Taken(int points)
    {
        TaskCompletionSource? roomMade;
        lock (_room)
        {
            _queued -= points;
            roomMade = _roomMade;
            _roomMade = null;
        }
        roomMade?.TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Per unit, its grain reference and its points for the next call, kept across calls: the catalog's
        // units are a fixed set, so a call makes no grain id, reference or builder for a unit seen before.
        var units = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var ready = new List<Pending>();
        // Units with points that wait for their interval since their last delivery, by when it ends.
        var held = new PriorityQueue<Pending, long>();
        // One timer wakes the loop when the first held unit is due; armed for that moment, or 0 when it is not armed.
        // A timer counts in whole milliseconds and may fire a little early, so the loop arms it again after each firing.
        var fired = 0;
        using var timer = TimeProvider.System.CreateTimer(_ =>
        {
            Volatile.Write(ref fired, 1);
            _wake.Writer.TryWrite(true);
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        long armedFor = 0;
        var reader = _queue.Reader;
        while (await _wake.Reader.WaitToReadAsync(stoppingToken))
        {
            _wake.Reader.TryRead(out _);
            if (Interlocked.Exchange(ref fired, 0) == 1)
                armedFor = 0;
            var now = Stopwatch.GetTimestamp();
            _pacing.Update(now);
            var intervalTicks = _pacing.IntervalTicks;
            while (held.TryPeek(out var due, out var at) && at <= now)
            {
                held.Dequeue();
                due.Held = false;
                ready.Add(due);
            }
            while (_done.TryDequeue(out var done))
            {
                done.Busy = false;
                if (done.Points.Count > 0 && !done.Held) ready.Add(done);
            }
            var points = 0;
            var roundPoints = options.Value.LivePathRoundPoints;
            while (points < roundPoints && reader.TryRead(out var batch))
            {
                foreach (var p in batch)
                {
                    if (!units.TryGetValue(p.Unit, out var pending))
                        units[p.Unit] = pending = new Pending(p.Unit, grains.GetGrain<IUnitGrain>(p.Unit));
                    if (pending.Points.Count == 0 && !pending.Busy && !pending.Held)
                        ready.Add(pending);
                    pending.Points.Add(new MetricPoint(p.Metric, p.Value, p.Timestamp));
                }
                points += batch.Count;
                Taken(batch.Count);
            }
            // More is queued than one pass takes: come back for it after these calls are out.
            if (points >= roundPoints)
                _wake.Writer.TryWrite(true);
            var (local, sent) = (0, 0);
            foreach (var pending in ready)
            {
                // Delivered to within the interval: its points wait, with any that follow, until the interval ends.
                if (pending.SentAt != 0 && now - pending.SentAt < intervalTicks)
                {
                    pending.Held = true;
                    held.Enqueue(pending, pending.SentAt + intervalTicks);
                    continue;
                }
                pending.SentAt = now;
                sent++;
                local += Send(pending) ? 1 : 0;
            }
            if (sent > 0 || points > 0)
                metrics.LiveRound(sent - local, local, points, _pacing.Interval);
            ready.Clear();
            if (held.TryPeek(out _, out var next) && (armedFor == 0 || next < armedFor))
            {
                armedFor = next;
                timer.Change(Stopwatch.GetElapsedTime(now, next) + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            }
            if (Interlocked.Exchange(ref _failures, 0) is var failed and > 0)
                logger.LogWarning(_lastFailure, "{Failed} unit grains did not take their points in time; their next points go in a new call", failed);
        }
    }

    /// <summary>Sends the unit its points; true when they went in-process rather than by a grain call.</summary>
    private bool Send(Pending pending)
    {
        pending.Busy = true;
        var here = localUnits is not null && localUnits.TryGet(pending.Unit, out var unit) ? unit : null;
        pending.Local = here is not null;
        var points = pending.Points.DrainToImmutable();
        var call = here is not null ? here.Report(points) : pending.Grain.Report(points);
        // A call that outlives the wait goes on by itself (a late answer changes nothing: a unit keeps the newest
        // point by timestamp and counts a point once); how many may be given up on so is UnansweredCalls' rule.
        var wait = pending.Unanswered.MayGiveUp ? call.WaitAsync(options.Value.LiveReportTimeout) : call;
        wait.ContinueWith((t, state) =>
        {
            var p = (Pending)state!;
            // Only deliveries in this process pace the units (DeliveryPacing); SentAt and Local are set before the send
            // and not again until the loop hears of this end.
            if (p.Local)
                _pacing.Took(Stopwatch.GetTimestamp() - p.SentAt);
            if (t.IsFaulted)
            {
                // The points are kept by the time-series path; the live view catches up on the next report.
                _lastFailure = t.Exception.InnerException;
                Interlocked.Increment(ref _failures);
                if (!call.IsCompleted)
                    _ = p.Unanswered.GiveUp(call);
            }
            _done.Enqueue(p);
            _wake.Writer.TryWrite(true);
        }, pending, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return here is not null;
    }

    private sealed class Pending(string unit, IUnitGrain grain)
    {
        public string Unit { get; } = unit;
        public IUnitGrain Grain { get; } = grain;
        public ImmutableArray<MetricPoint>.Builder Points { get; } = ImmutableArray.CreateBuilder<MetricPoint>();
        // A call in flight that the live path has not yet heard the end of; set and cleared on the loop only.
        public bool Busy { get; set; }
        // Waiting for the unit's interval to end (in the loop's queue of held units); on the loop only.
        public bool Held { get; set; }
        // When the unit was last delivered to (a Stopwatch timestamp), or 0; written on the loop only, and read by that
        // delivery's continuation before the loop hears of its end.
        public long SentAt { get; set; }
        // Whether the last delivery went in-process; set with SentAt.
        public bool Local { get; set; }
        // Calls given up on that have not ended yet.
        public UnansweredCalls Unanswered { get; } = new();
    }
}
