using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;

namespace Ioc.TimeSeries;

/// <summary>The on-disk write-ahead buffer between ingest and the time-series store (section <c>Buffer</c>).</summary>
public sealed class BufferOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Buffer";

    /// <summary>Bytes held on disk and not yet confirmed by the store, past which ingest answers 503.</summary>
    [Range(64 * 1024L, long.MaxValue)] public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Points not yet confirmed by the store, past which ingest answers 503.</summary>
    [Range(1L, long.MaxValue)] public long MaxPoints { get; set; } = 20_000_000;

    /// <summary>Size at which a segment file is closed and a new one begun; whole segments are deleted once confirmed.</summary>
    [Range(64 * 1024L, 4L << 30)] public long SegmentBytes { get; set; } = 64L << 20;

    /// <summary>
    /// On shutdown, how long the drainer keeps sending what is buffered. What is left stays on disk and is
    /// sent after the restart. The host's shutdown timeout is raised to fit it.
    /// </summary>
    [TimeSpanRange("00:00:00.001", "01:00:00")] public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Shortest time between two writes of the checkpoint (each one an fsync). After a crash the points
    /// confirmed since the last one are sent again, which is harmless; a checkpoint is also written before
    /// a segment is deleted and when the buffer closes.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:01:00")] public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes the data directory's disk must keep free: below it ingest answers 503 naming the disk, before the
    /// disk is so full that the store, the checkpoint or the log cannot be written. Read on every request, so a
    /// change takes effect at once; 0 turns the reserve off (a full disk is still caught when a write fails).
    /// </summary>
    [Range(0L, long.MaxValue)] public long MinFreeDiskBytes { get; set; } = 64L << 20;

    /// <summary>What a refused request is told to wait (<c>Retry-After</c>).</summary>
    [TimeSpanRange("00:00:01", "01:00:00")] public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
