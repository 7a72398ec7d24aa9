using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ioc.Tests.Storage;

public sealed class WriteAheadLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ioc-wal-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WriteAheadLog Open(long segmentBytes = 1 << 20, long maxPoints = 1_000_000, long maxBytes = 1L << 30, TimeSpan? checkpointInterval = null, string? directory = null) =>
        new(directory ?? _directory, new BufferOptions
        {
            SegmentBytes = segmentBytes, MaxPoints = maxPoints, MaxBytes = maxBytes, CheckpointInterval = checkpointInterval ?? TimeSpan.FromSeconds(1),
        }, _time, NullLogger<WriteAheadLog>.Instance);

    private static List<TelemetryPoint> Request(int count, string unit = "van-lam-air-1", int first = 0) =>
        [.. Enumerable.Range(first, count).Select(i => new TelemetryPoint(unit, i % 2 == 0 ? "pm25" : "aqi", i * 1.5,
            new DateTimeOffset(2026, 11, 27, 7, 0, 0, TimeSpan.Zero).AddSeconds(i)))];

    private static List<List<TelemetryPoint>> ReadAll(WriteAheadLog log)
    {
        using var reader = log.OpenReader();
        var records = new List<List<TelemetryPoint>>();
        while (true)
        {
            var points = new List<TelemetryPoint>();
            if (!reader.TryRead(points)) return records;
            records.Add(points);
        }
    }

    private string OnlySegment() => Assert.Single(Directory.GetFiles(_directory, "*.wal"));

    [Fact]
    public async Task A_request_reads_back_point_for_point_with_units_metrics_values_timestamps_and_extra_tags_also_after_reopening()
    {
        List<TelemetryPoint> request =
        [
            new("van-lam-air-1", "pm25", 35.25, new DateTimeOffset(2026, 11, 27, 7, 0, 0, 123, TimeSpan.Zero), @"site=cổng\ số\ 2,tầng=1"),
            new("van-lam-air-1", "aqi", -0.0001, new DateTimeOffset(2026, 11, 27, 6, 59, 59, TimeSpan.FromHours(7)), @"site=cổng\ số\ 2,tầng=1"),
            new("van-lam-air-1", "aqi", 1e300, new DateTimeOffset(639_000_000_000_000_001, TimeSpan.Zero)),
            new("tp-hung-yen-traffic-1", "vehicle-count", 0, DateTimeOffset.UnixEpoch, @"lane=1"),
            new("tp-hung-yen-traffic-1", "avg-speed", 42, DateTimeOffset.UnixEpoch.AddTicks(-1), new string('x', 300)),
        ];
        using (var log = Open())
        {
            Assert.True(await log.Append(request, Cancel));
            var read = Assert.Single(ReadAll(log));
            Assert.Equal(ToUtc(request), read);
            Assert.Equal(request.Count, log.UnconfirmedPoints);
        }
        using var reopened = Open();
        Assert.Equal(ToUtc(request), Assert.Single(ReadAll(reopened)));
        Assert.Equal(request.Count, reopened.UnconfirmedPoints);
        Assert.Equal(_time.GetUtcNow(), reopened.OldestUnconfirmed);
    }

    // The buffer keeps the instant; the offset a unit wrote it in is not part of a point's identity.
    private static List<TelemetryPoint> ToUtc(List<TelemetryPoint> points) => [.. points.Select(p => p with { Timestamp = p.Timestamp.ToUniversalTime() })];

    [Fact]
    public async Task A_torn_record_left_by_a_crash_is_cut_off_and_the_intact_records_before_it_are_kept()
    {
        using (var log = Open())
        {
            Assert.True(await log.Append(Request(3), Cancel));
            Assert.True(await log.Append(Request(4, first: 3), Cancel));
            Assert.True(await log.Append(Request(5, first: 7), Cancel));
        }
        var segment = OnlySegment();
        var intact = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
            file.SetLength(intact - 7);

        using var reopened = Open();
        var records = ReadAll(reopened);
        Assert.Equal([3, 4], records.Select(r => r.Count));
        Assert.Equal(7, reopened.UnconfirmedPoints);
        Assert.True(new FileInfo(segment).Length < intact - 7, "the torn tail is cut off the file");

        // Appending goes on from the last intact record.
        Assert.True(await reopened.Append(Request(2, first: 100), Cancel));
        Assert.Equal([3, 4, 2], ReadAll(reopened).Select(r => r.Count));
    }

    [Fact]
    public async Task A_record_with_a_damaged_byte_fails_its_checksum_and_is_not_sent()
    {
        using (var log = Open())
        {
            Assert.True(await log.Append(Request(3), Cancel));
            Assert.True(await log.Append(Request(4, first: 3), Cancel));
        }
        var segment = OnlySegment();
        var bytes = await File.ReadAllBytesAsync(segment, Cancel);
        bytes[^3] ^= 0x40;
        await File.WriteAllBytesAsync(segment, bytes, Cancel);

        using var reopened = Open();
        var read = Assert.Single(ReadAll(reopened));
        Assert.Equal(Request(3), read);
        Assert.Equal(3, reopened.UnconfirmedPoints);
    }

    [Fact]
    public async Task Zeroes_after_the_last_record_are_ignored()
    {
        using (var log = Open())
            Assert.True(await log.Append(Request(3), Cancel));
        await using (var file = new FileStream(OnlySegment(), FileMode.Append))
            file.Write(new byte[4096]);

        using var reopened = Open();
        Assert.Equal([3], ReadAll(reopened).Select(r => r.Count));
    }

    /// <summary>The segment files in offset order: where each starts in the log, and its length.</summary>
    private static List<(long Base, long Length)> Segments(string directory) =>
        [.. Directory.GetFiles(directory, "*.wal").Select(f => (long.Parse(Path.GetFileNameWithoutExtension(f)), new FileInfo(f).Length)).OrderBy(s => s.Item1)];

    /// <summary>The log's files as a crash would leave them: everything written, nothing cut or closed.</summary>
    private string CopyAsCrashed()
    {
        var crashed = Directory.CreateTempSubdirectory("ioc-wal-crashed-").FullName;
        foreach (var file in Directory.GetFiles(_directory))
            File.Copy(file, Path.Combine(crashed, Path.GetFileName(file)));
        return crashed;
    }

    [Fact]
    public async Task The_segment_appended_to_is_zeroed_ahead_and_a_segment_left_behind_or_closed_ends_at_its_last_record()
    {
        long durable;
        using (var log = Open(segmentBytes: 1024))
        {
            for (var i = 0; i < 40; i++)
                Assert.True(await log.Append(Request(10, first: i * 10), Cancel));
            durable = log.DurableEnd;
            var segments = Segments(_directory);
            Assert.True(segments.Count > 2, $"{segments.Count} segments");
            for (var i = 0; i + 1 < segments.Count; i++)
                Assert.Equal(segments[i + 1].Base, segments[i].Base + segments[i].Length);
            Assert.Equal(1024, segments[^1].Length);
            Assert.True(segments[^1].Base + segments[^1].Length > durable, "zeros follow the last record of the segment appended to");
        }
        var closed = Segments(_directory);
        Assert.Equal(durable, closed[^1].Base + closed[^1].Length);
    }

    [Fact]
    public async Task The_zeroed_tail_a_crash_leaves_is_no_torn_record_every_record_is_kept_and_the_zeros_are_cut_off()
    {
        using var log = Open(segmentBytes: 1024);
        for (var i = 0; i < 40; i++)
            Assert.True(await log.Append(Request(10, first: i * 10), Cancel));
        var crashed = CopyAsCrashed();
        try
        {
            using var reopened = Open(segmentBytes: 1024, directory: crashed);
            Assert.Equal(Enumerable.Range(0, 40).Select(i => Request(10, first: i * 10)), ReadAll(reopened));
            Assert.Equal(400, reopened.UnconfirmedPoints);
            var segments = Segments(crashed);
            Assert.True(segments.Count > 2);
            Assert.Equal(log.DurableEnd, segments[^1].Base + segments[^1].Length);

            // Appending goes on after the last record, not after the zeros.
            Assert.True(await reopened.Append(Request(2, first: 500), Cancel));
            Assert.Equal([.. Enumerable.Repeat(10, 40), 2], ReadAll(reopened).Select(r => r.Count));
        }
        finally
        {
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Fact]
    public async Task A_record_torn_inside_the_zeroed_tail_is_cut_off_with_the_zeros()
    {
        using var log = Open();
        Assert.True(await log.Append(Request(3), Cancel));
        Assert.True(await log.Append(Request(4, first: 3), Cancel));
        var crashed = CopyAsCrashed();
        try
        {
            // The first bytes of a third record reached the disk, the rest did not: they start like the first record.
            var segment = Assert.Single(Directory.GetFiles(crashed, "*.wal"));
            var bytes = await File.ReadAllBytesAsync(segment, Cancel);
            Assert.True(bytes.Length > log.DurableEnd, "the segment is zeroed ahead");
            await using (var file = new FileStream(segment, FileMode.Open))
            {
                file.Position = log.DurableEnd;
                file.Write(bytes.AsSpan(0, 20));
            }

            using var reopened = Open(directory: crashed);
            Assert.Equal([3, 4], ReadAll(reopened).Select(r => r.Count));
            Assert.Equal(log.DurableEnd, new FileInfo(segment).Length);
        }
        finally
        {
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Fact]
    public async Task Concurrent_appends_share_fsyncs_and_every_acknowledged_one_is_on_disk()
    {
        const int requests = 400;
        using (var log = Open())
        {
            using var go = new Barrier(4);
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                go.SignalAndWait(Cancel);
                var appends = Enumerable.Range(0, requests / 4)
                    .Select(i => log.Append(Request(5, $"unit-{w}", first: i * 5), Cancel).AsTask())
                    .ToList();
                Assert.All(await Task.WhenAll(appends), Assert.True);
            }, Cancel)).ToList();
            await Task.WhenAll(writers);

            Assert.Equal(requests, log.Appends);
            Assert.True(log.GroupCommits < requests, $"{log.GroupCommits} fsyncs for {requests} appends: appends in flight together must share one");
        }
        using var reopened = Open();
        var records = ReadAll(reopened);
        Assert.Equal(requests, records.Count);
        foreach (var unit in Enumerable.Range(0, 4).Select(w => $"unit-{w}"))
        {
            var ofUnit = records.Where(r => r[0].Unit == unit).SelectMany(r => r).OrderBy(p => p.Timestamp).ToList();
            Assert.Equal(Request(requests / 4 * 5, unit), ofUnit);
        }
    }

    [Fact]
    public async Task Confirming_moves_the_checkpoint_deletes_the_segments_behind_it_and_survives_a_reopen()
    {
        using (var log = Open(segmentBytes: 1024))
        {
            for (var i = 0; i < 40; i++)
                Assert.True(await log.Append(Request(10, first: i * 10), Cancel));
            var segments = Directory.GetFiles(_directory, "*.wal").Length;
            Assert.True(segments > 5, $"{segments} segments");

            using var reader = log.OpenReader();
            var points = new List<TelemetryPoint>();
            for (var i = 0; i < 25; i++)
                Assert.True(reader.TryRead(points));
            log.Confirm(reader.Position);

            Assert.Equal(reader.Position, log.ConfirmedOffset);
            Assert.Equal(150, log.UnconfirmedPoints);
            Assert.True(Directory.GetFiles(_directory, "*.wal").Length < segments, "whole confirmed segments are deleted");
            Assert.Equal(log.SegmentCount, Directory.GetFiles(_directory, "*.wal").Length);
        }

        using var reopened = Open(segmentBytes: 1024);
        Assert.Equal(150, reopened.UnconfirmedPoints);
        var rest = ReadAll(reopened);
        Assert.Equal(15, rest.Count);
        Assert.Equal(Request(10, first: 250), rest[0]);
    }

    [Fact]
    public async Task Confirmations_between_checkpoint_writes_still_reach_the_checkpoint_when_the_buffer_closes()
    {
        using (var log = Open(checkpointInterval: TimeSpan.FromMinutes(1)))
        {
            for (var i = 0; i < 10; i++)
                Assert.True(await log.Append(Request(10, first: i * 10), Cancel));
            using var reader = log.OpenReader();
            var points = new List<TelemetryPoint>();
            // The first confirmation writes the checkpoint; the next ones fall within the interval.
            for (var i = 0; i < 6; i++)
            {
                Assert.True(reader.TryRead(points));
                log.Confirm(reader.Position);
            }
            Assert.Equal(40, log.UnconfirmedPoints);
        }

        using var reopened = Open();
        Assert.Equal(40, reopened.UnconfirmedPoints);
        Assert.Equal(Request(10, first: 60), ReadAll(reopened)[0]);
    }

    [Fact]
    public async Task The_checkpoint_is_written_again_once_the_injected_clock_passes_the_checkpoint_interval()
    {
        using var log = Open(checkpointInterval: TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
            Assert.True(await log.Append(Request(10, first: i * 10), Cancel));
        using var reader = log.OpenReader();
        var points = new List<TelemetryPoint>();
        long Checkpoint() => BitConverter.ToInt64(File.ReadAllBytes(Path.Combine(_directory, "checkpoint")), 0);

        Assert.True(reader.TryRead(points));
        log.Confirm(reader.Position);
        var first = reader.Position;
        Assert.Equal(first, Checkpoint());

        // Within the interval on the hub's clock a confirmation is not written, however long the test really takes.
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.True(reader.TryRead(points));
        log.Confirm(reader.Position);
        Assert.Equal(first, Checkpoint());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(reader.TryRead(points));
        log.Confirm(reader.Position);
        Assert.Equal(reader.Position, Checkpoint());
    }

    [Fact]
    public async Task Past_the_bound_an_append_is_refused_with_nothing_written_and_taken_again_once_the_store_confirms()
    {
        using var log = Open(maxPoints: 100);
        Assert.True(await log.Append(Request(60), Cancel));
        var durable = log.DurableEnd;

        Assert.False(await log.Append(Request(60, first: 60), Cancel));
        Assert.Equal(durable, log.DurableEnd);
        Assert.Equal(60, log.UnconfirmedPoints);

        log.Confirm(log.DurableEnd);
        Assert.Equal(0, log.UnconfirmedPoints);
        Assert.Equal(0, log.UnconfirmedBytes);
        Assert.True(await log.Append(Request(60, first: 60), Cancel));
    }

    [Fact]
    public async Task A_request_larger_than_the_bound_is_still_taken_by_an_empty_buffer()
    {
        using var log = Open(maxPoints: 10);
        Assert.True(await log.Append(Request(50), Cancel));
        Assert.False(await log.Append(Request(1), Cancel));
    }
}
