using System.Diagnostics.Metrics;

namespace Ioc.TimeSeries;

/// <summary>The ingest path's instruments, on the <c>Ioc.Ingest</c> meter.</summary>
public sealed class IngestMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Ioc.Ingest";

    private readonly Counter<long> _writtenPoints;
    private readonly Counter<long> _writtenBatches;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _overloaded;
    private readonly Counter<long> _liveRounds;
    private readonly Counter<long> _liveCalls;
    private readonly Counter<long> _liveLocal;
    private readonly Counter<long> _livePoints;
    private double _liveUnitInterval;

    /// <summary>Creates the instruments; the gauges read the buffer and the drainer's status when collected.</summary>
    public IngestMetrics(IMeterFactory meters, WriteAheadLog buffer, DrainStatus status, DeadLetters deadLetters, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("ioc.ingest.buffer.points", () => buffer.UnconfirmedPoints, "{point}",
            "Points accepted and not yet confirmed by the time-series store.");
        meter.CreateObservableGauge("ioc.ingest.buffer.bytes", () => buffer.UnconfirmedBytes, "By",
            "Bytes of the write-ahead buffer not yet confirmed by the time-series store.");
        meter.CreateObservableCounter("ioc.ingest.buffer.appends", () => buffer.Appends, "{request}",
            "Requests appended to the write-ahead buffer, each answered once its fsync is done.");
        meter.CreateObservableCounter("ioc.ingest.buffer.fsyncs", () => buffer.GroupCommits, "{fsync}",
            "Fsyncs of the write-ahead buffer; requests in flight together share one (group commit), so appends ÷ fsyncs is how many.");
        meter.CreateObservableGauge("ioc.ingest.buffer.oldest_age", () => OldestAge(buffer, time), "s",
            "Age of the oldest point not yet confirmed by the time-series store; 0 when none.");
        meter.CreateObservableGauge("ioc.ingest.breaker.state", () => (int)status.Breaker.CircuitState, "{state}",
            "Circuit breaker around writes: 0 closed, 1 open, 2 half-open, 3 isolated.");
        meter.CreateObservableGauge("ioc.ingest.deadletter.stored", () => deadLetters.Count, "{batch}",
            "Batches refused by the store and kept in the dead-letter directory.");
        _writtenPoints = meter.CreateCounter<long>("ioc.ingest.written.points", "{point}", "Points the time-series store confirmed.");
        _writtenBatches = meter.CreateCounter<long>("ioc.ingest.written.batches", "{batch}", "Batches the time-series store confirmed.");
        _failures = meter.CreateCounter<long>("ioc.ingest.write.failures", "{attempt}",
            "Failed write attempts, by outcome: transient (retried) or rejected (set aside).");
        _deadLettered = meter.CreateCounter<long>("ioc.ingest.deadletter.batches", "{batch}", "Batches set aside after the store refused them.");
        _overloaded = meter.CreateCounter<long>("ioc.ingest.overloaded.requests", "{request}", "Requests refused with 503 because the buffer or its disk was full, by resource (buffer, disk).");
        // What the live path costs the silos: grain calls per point is calls ÷ points.
        _liveRounds = meter.CreateCounter<long>("ioc.ingest.live.rounds", "{round}", "Rounds of the live path: what queued while the previous round was in flight.");
        _liveCalls = meter.CreateCounter<long>("ioc.ingest.live.calls", "{call}", "Grain calls the live path made, one per unit per round for units it cannot reach in-process.");
        _liveLocal = meter.CreateCounter<long>("ioc.ingest.live.local", "{delivery}",
            "Units the live path handed their points in-process, on the unit's own scheduler, instead of a grain call; one per unit per round.");
        _livePoints = meter.CreateCounter<long>("ioc.ingest.live.points", "{point}", "Points the live path carried to the grains.");
        meter.CreateObservableGauge("ioc.ingest.live.unit_interval", () => Volatile.Read(ref _liveUnitInterval), "s",
            "Shortest time between two deliveries to one unit now: Ingest:LiveUnitInterval, longer while deliveries wait for their turn.");
    }

    /// <summary>Counts a confirmed batch.</summary>
    public void Written(int points)
    {
        _writtenPoints.Add(points);
        _writtenBatches.Add(1);
    }

    /// <summary>Counts a failed attempt.</summary>
    public void Failed(bool rejected) => _failures.Add(1, new KeyValuePair<string, object?>("outcome", rejected ? "rejected" : "transient"));

    /// <summary>Counts a batch set aside.</summary>
    public void DeadLettered() => _deadLettered.Add(1);

    /// <summary>Counts a request refused for a full buffer or disk; <paramref name="resource"/> names which.</summary>
    public void Overloaded(string resource) => _overloaded.Add(1, new KeyValuePair<string, object?>("resource", resource));

    /// <summary>Counts a round of the live path: its grain calls, its in-process deliveries and its points; notes the units' interval.</summary>
    public void LiveRound(int calls, int local, int points, TimeSpan unitInterval)
    {
        Volatile.Write(ref _liveUnitInterval, unitInterval.TotalSeconds);
        _liveRounds.Add(1);
        _liveCalls.Add(calls);
        _liveLocal.Add(local);
        _livePoints.Add(points);
    }

    private static double OldestAge(WriteAheadLog buffer, TimeProvider time) =>
        buffer.OldestUnconfirmed is { } oldest ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0;
}
