using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Ioc.TimeSeries;

/// <summary>A resource whose exhaustion keeps ingest from taking points, as readiness and the metrics name it.</summary>
public enum IngestResource
{
    /// <summary>The disk under the write-ahead buffer: full, below its reserve, or refusing writes.</summary>
    Disk,
    /// <summary>The write-ahead buffer: past <c>Buffer:MaxBytes</c> or <c>Buffer:MaxPoints</c> unsent.</summary>
    Buffer,
    /// <summary>The time-series store: not taking writes, so the buffer is not draining.</summary>
    Store,
    /// <summary>The circuit breaker around store writes: open, half-open or isolated.</summary>
    Breaker,
}

/// <summary>
/// What ingest is short of, if anything, and why: the 503 answer says it, readiness lists it
/// (<c>exhausted</c>), and the gauge <c>ioc.ingest.exhausted</c> has one series per resource. A disk that
/// filled up was once visible only as "No space left on device" in the log; now it is refused before it is
/// full (<see cref="BufferOptions.MinFreeDiskBytes"/>), named, and taken again as soon as space returns.
/// </summary>
public sealed class IngestCapacity
{
    private readonly WriteAheadLog _buffer;
    private readonly DrainStatus _drain;
    private readonly IOptionsMonitor<BufferOptions> _options;
    private volatile string? _diskError;
    private long _free = -1; // -1: unknown; a long, not a long?, so that readers on other threads never see half of it
    private long _freeReadAt = long.MinValue / 2;

    /// <summary>Watches the buffer's disk, the buffer and the drainer; publishes the gauges on the <c>Ioc.Ingest</c> meter.</summary>
    public IngestCapacity(
        WriteAheadLog buffer, DrainStatus drain, IOptionsMonitor<BufferOptions> options, IOptions<StorageOptions> storage,
        IHostEnvironment environment, IMeterFactory meters)
    {
        _buffer = buffer;
        _drain = drain;
        _options = options;
        DataDirectory = storage.Value.ResolveDataDirectory(environment);
        var meter = meters.Create(IngestMetrics.MeterName);
        meter.CreateObservableGauge("ioc.ingest.exhausted", Measure, "{resource}",
            "1 for each resource that keeps ingest from taking points now (disk, buffer, store, breaker), else 0.");
        meter.CreateObservableGauge("ioc.ingest.disk.free_bytes", () => FreeDiskBytes ?? -1, "By",
            "Bytes free for the write-ahead buffer on its disk; -1 when unknown.");
        meter.CreateObservableGauge("ioc.ingest.disk.reserve_bytes", () => _options.CurrentValue.MinFreeDiskBytes, "By",
            "Free disk the buffer keeps in reserve (Buffer:MinFreeDiskBytes); below it ingest answers 503.");
        meter.CreateObservableGauge("ioc.ingest.buffer.bytes.limit", () => _options.CurrentValue.MaxBytes, "By",
            "Bytes the buffer may hold unsent (Buffer:MaxBytes); at it ingest answers 503.");
        meter.CreateObservableGauge("ioc.ingest.buffer.points.limit", () => _options.CurrentValue.MaxPoints, "{point}",
            "Points the buffer may hold unsent (Buffer:MaxPoints); at it ingest answers 503.");
    }

    /// <summary>The data directory, whose disk holds the buffer.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// Bytes available to this process on the data directory's disk, or null when they cannot be read. Read at
    /// most once per <see cref="FreeSpaceReadInterval"/>: every request asks, and a statfs per request is work on
    /// the ingest path that a disk filling at the rate of the buffer does not need.
    /// </summary>
    public long? FreeDiskBytes
    {
        get
        {
            var now = Environment.TickCount64;
            if (now - Volatile.Read(ref _freeReadAt) < (long)FreeSpaceReadInterval.TotalMilliseconds)
                return Volatile.Read(ref _free) is var cached and >= 0 ? cached : null;
            long? free;
            try
            {
                free = new DriveInfo(DataDirectory).AvailableFreeSpace;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                free = null;
            }
            Volatile.Write(ref _free, free ?? -1);
            Volatile.Write(ref _freeReadAt, now);
            return free;
        }
    }

    /// <summary>How long a reading of the free disk space is used before the disk is asked again.</summary>
    public static readonly TimeSpan FreeSpaceReadInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Why the disk's free space is below <see cref="BufferOptions.MinFreeDiskBytes"/>, or null when it is not.</summary>
    public string? ReserveShortage()
    {
        var reserve = _options.CurrentValue.MinFreeDiskBytes;
        return reserve > 0 && FreeDiskBytes is { } free && free < reserve
            ? $"the disk of the write-ahead buffer has {free} bytes free, less than the reserve of {reserve} bytes (Buffer:MinFreeDiskBytes)"
            : null;
    }

    /// <summary>Why the disk cannot take a request now (below its reserve, or it refused the last write), or null when it can.</summary>
    public string? DiskShortage() =>
        ReserveShortage() ?? (_diskError is { } error ? "the disk of the write-ahead buffer refused the last write: " + error : null);

    /// <summary>Notes a write the disk refused; the next request still tries, so the hub recovers once space returns.</summary>
    public void DiskFailed(Exception error) =>
        _diskError = (error.InnerException ?? error).Message;

    /// <summary>Notes a write the disk took.</summary>
    public void DiskSucceeded() => _diskError = null;

    /// <summary>Why the buffer refused a request: how full it is, and what keeps it from draining.</summary>
    public string BufferShortage()
    {
        var o = _options.CurrentValue;
        var why = $"the write-ahead buffer is full ({_buffer.UnconfirmedPoints} of {o.MaxPoints} points, {_buffer.UnconfirmedBytes} of {o.MaxBytes} bytes not yet in the store)";
        if (BreakerOpen)
            return why + ", because the circuit breaker to the time-series store is open";
        if (_drain.Failing)
            return why + ", because the time-series store is not taking writes" + (_drain.LastError is { } e ? ": " + e : "");
        return why;
    }

    /// <summary>Every resource exhausted now, with why, in the order of <see cref="IngestResource"/>.</summary>
    public IReadOnlyList<(IngestResource Resource, string Why)> Exhausted()
    {
        var found = new List<(IngestResource, string)>();
        if (DiskShortage() is { } disk) found.Add((IngestResource.Disk, disk));
        var o = _options.CurrentValue;
        if (_buffer.UnconfirmedBytes >= o.MaxBytes || _buffer.UnconfirmedPoints >= o.MaxPoints) found.Add((IngestResource.Buffer, BufferShortage()));
        if (_drain.Failing) found.Add((IngestResource.Store, "the time-series store is not taking writes" + (_drain.LastError is { } e ? ": " + e : "")));
        if (BreakerOpen) found.Add((IngestResource.Breaker, $"the circuit breaker to the time-series store is {_drain.Breaker.CircuitState.ToString().ToLowerInvariant()}"));
        return found;
    }

    private bool BreakerOpen => _drain.Breaker.CircuitState is CircuitState.Open or CircuitState.HalfOpen or CircuitState.Isolated;

    private IEnumerable<Measurement<int>> Measure()
    {
        var exhausted = Exhausted();
        foreach (var resource in Enum.GetValues<IngestResource>())
            yield return new Measurement<int>(exhausted.Any(e => e.Resource == resource) ? 1 : 0,
                new KeyValuePair<string, object?>("resource", resource.ToString().ToLowerInvariant()));
    }
}
