using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks.Sources;
using WritePrecision = InfluxDB.Client.Api.Domain.WritePrecision;
using Microsoft.Win32.SafeHandles;

namespace Ioc.TimeSeries;

/// <summary>
/// The write-ahead buffer: an append-only log of accepted requests in segment files, each named by the
/// log offset it starts at. Concurrent appends are written and fsynced together by one committer
/// thread (group commit), and each returns only once its bytes are on disk. The drainer reads behind
/// the durable end and <see cref="Confirm"/>s what the store has taken; a checkpoint file keeps that
/// offset across restarts, and segments wholly behind it are deleted.
/// </summary>
/// <remarks>
/// After a crash the last segment may end in a torn record; opening the log finds it by its length or
/// checksum, cuts it off and carries on from the last intact record.
/// <para>
/// The segment appended to is kept zeroed a little ahead of its records (<see cref="ZeroAhead"/>), so that most
/// fsyncs find the file's size and blocks as they were and flush the data alone, without a journal commit for a new
/// size and new blocks: on this kind of disk that is a third less system time per fsync and half again as many
/// fsyncs a second (docs/design/ingest-path.md). The zeros are cut off when the segment is left, on close and on
/// recovery, which tells them from a torn record because they are zeros to the end of the file.
/// </para>
/// </remarks>
public sealed class WriteAheadLog : IDisposable
{
    private const string SegmentSuffix = ".wal";
    private const string CheckpointFile = "checkpoint";
    // How far ahead of its records the active segment is zeroed: one new size and one run of new blocks per MiB of records.
    private const int ZeroAhead = 1 << 20;
    private static readonly ReadOnlyMemory<byte> Zeros = new byte[ZeroAhead];

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly long _maxBytes;
    private readonly long _maxPoints;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Segments in offset order; the last is the one appended to.
    private readonly List<Segment> _segments = [];
    private readonly Lock _segmentsLock = new();

    // Durable records not yet confirmed, oldest first: the buffer's depth and age.
    private readonly Queue<RecordInfo> _records = new();
    private readonly Lock _recordsLock = new();

    // Appends waiting for the committer. A plain object, for Monitor.Wait/Pulse.
    private readonly object _pendingGate = new();
    private List<PendingAppend> _pending = [];
    private readonly Thread _committer;
    private bool _closing;

    // Owned by the committer thread.
    private SafeFileHandle? _active;
    private long _activeBase;
    private long _activeLength;
    // How many bytes the active segment file holds: its records, then zeros.
    private long _activeZeroedTo;
    private readonly List<ReadOnlyMemory<byte>> _gather = [];

    private long _durableEnd;
    private long _confirmed;
    // The offset the checkpoint file holds, and when it was written.
    private readonly object _checkpointLock = new();
    private readonly TimeSpan _checkpointInterval;
    private long _checkpointOffset = -1;
    private long _checkpointWritten;
    private long _unconfirmedBytes;
    private long _unconfirmedPoints;
    private long _groupCommits;
    private long _appends;
    private volatile Exception? _broken;

    // Owned by the committer thread: when writes began to fail, how many requests were refused since, whether
    // that episode was logged, and when the last logged one began.
    private DateTimeOffset? _failingSince;
    private long _refusedSinceFailing;
    private bool _failingLogged;
    private DateTimeOffset _lastFailureLogged = DateTimeOffset.MinValue;
    private int _failuresNotLogged;
    private static readonly TimeSpan FailureLogPeriod = TimeSpan.FromMinutes(1);

    private readonly Lock _signalLock = new();
    private TaskCompletionSource _durableSignal = NewSignal();
    private TaskCompletionSource _confirmedSignal = NewSignal();

    private readonly record struct Segment(long Base, string Path);
    private readonly record struct RecordInfo(long End, int Size, int Points, long ArrivalUnixMs);

    /// <summary>Opens the log in <paramref name="directory"/>, recovering what an earlier process left.</summary>
    public WriteAheadLog(string directory, BufferOptions options, TimeProvider time, ILogger<WriteAheadLog> logger)
    {
        _directory = directory;
        _segmentBytes = options.SegmentBytes;
        _maxBytes = options.MaxBytes;
        _maxPoints = options.MaxPoints;
        _checkpointInterval = options.CheckpointInterval;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(directory);
        Recover();
        _committer = new Thread(CommitLoop) { IsBackground = true, Name = "Buffer committer" };
        _committer.Start();
    }

    /// <summary>Offset up to which the store has confirmed everything.</summary>
    public long ConfirmedOffset => Volatile.Read(ref _confirmed);

    /// <summary>Offset up to which records are on disk.</summary>
    public long DurableEnd => Volatile.Read(ref _durableEnd);

    /// <summary>Bytes accepted and not yet confirmed by the store.</summary>
    public long UnconfirmedBytes => Interlocked.Read(ref _unconfirmedBytes);

    /// <summary>Points accepted and not yet confirmed by the store.</summary>
    public long UnconfirmedPoints => Interlocked.Read(ref _unconfirmedPoints);

    /// <summary>How many fsyncs made appends durable; with concurrent appends, fewer than <see cref="Appends"/>.</summary>
    internal long GroupCommits => Interlocked.Read(ref _groupCommits);

    /// <summary>How many requests were appended.</summary>
    public long Appends => Interlocked.Read(ref _appends);

    /// <summary>How many segment files the log has now.</summary>
    internal int SegmentCount
    {
        get { lock (_segmentsLock) return _segments.Count; }
    }

    /// <summary>When the oldest request not yet confirmed by the store was accepted, if any.</summary>
    public DateTimeOffset? OldestUnconfirmed
    {
        get
        {
            lock (_recordsLock)
                return _records.TryPeek(out var r) ? DateTimeOffset.FromUnixTimeMilliseconds(r.ArrivalUnixMs) : null;
        }
    }

    /// <summary>
    /// Appends one request's points and returns once they are on disk; false, with nothing written, when
    /// the unconfirmed bytes or points would pass the configured bound.
    /// </summary>
    /// <remarks>Cancellation is honoured only until the points are handed to the committer.</remarks>
    public ValueTask<bool> Append(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken)
    {
        if (_broken is { } broken) throw new IOException("The write-ahead buffer failed and takes no more appends.", broken);
        cancellationToken.ThrowIfCancellationRequested();
        var arrival = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var (buffer, length) = BufferRecord.Encode(points, arrival);
        return Append(buffer, length, points.Count, arrival);
    }

    /// <summary>
    /// Appends one request already formatted as the time-series server's line protocol, kept as it is for the
    /// drainer to send, and returns once it is on disk; false, with nothing written, when the unconfirmed bytes
    /// or points would pass the configured bound.
    /// </summary>
    /// <remarks>Cancellation is honoured only until the lines are handed to the committer.</remarks>
    /// <param name="compact">Whether each line starts with its unit's id in place of its prefix (<see cref="LineProtocolFormatter.FormatUtf8"/>).</param>
    public ValueTask<bool> AppendLines(ReadOnlySpan<byte> lines, int points, WritePrecision precision, CancellationToken cancellationToken, bool compact = false)
    {
        if (_broken is { } broken) throw new IOException("The write-ahead buffer failed and takes no more appends.", broken);
        cancellationToken.ThrowIfCancellationRequested();
        var arrival = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var (buffer, length) = BufferRecord.EncodeLines(lines, points, precision, arrival, compact);
        return Append(buffer, length, points, arrival);
    }

    private ValueTask<bool> Append(byte[] buffer, int length, int count, long arrival)
    {
        if (!Reserve(length, count))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return ValueTask.FromResult(false);
        }
        var pending = PendingAppend.Rent(buffer, length, count, arrival);
        lock (_pendingGate)
        {
            if (_closing)
            {
                Release(length, count);
                pending.ReturnBuffer();
                throw new ObjectDisposedException(nameof(WriteAheadLog));
            }
            _pending.Add(pending);
            if (_pending.Count == 1) Monitor.Pulse(_pendingGate);
        }
        return pending.Completion;
    }

    /// <summary>Completes once records beyond <paramref name="position"/> are durable.</summary>
    public Task WhenDurableBeyond(long position, CancellationToken cancellationToken)
    {
        lock (_signalLock)
            return DurableEnd > position ? Task.CompletedTask : _durableSignal.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Completes once the store has confirmed everything up to <paramref name="position"/>.</summary>
    internal async Task WhenConfirmed(long position, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_signalLock)
            {
                if (ConfirmedOffset >= position) return;
                signal = _confirmedSignal.Task;
            }
            await signal.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Records that the store holds everything before <paramref name="offset"/> (a record boundary): the
    /// checkpoint moves there durably, and segments wholly before it are deleted.
    /// </summary>
    public void Confirm(long offset)
    {
        if (offset <= ConfirmedOffset) return;
        long bytes = 0, points = 0;
        lock (_recordsLock)
        {
            while (_records.TryPeek(out var r) && r.End <= offset)
            {
                _records.Dequeue();
                bytes += r.Size;
                points += r.Points;
            }
        }
        Release(bytes, points);
        Volatile.Write(ref _confirmed, offset);

        List<Segment> obsolete = [];
        lock (_segmentsLock)
        {
            // A segment is obsolete once the next one starts at or before the checkpoint; the last is kept for appending.
            while (_segments.Count > 1 && _segments[1].Base <= offset)
            {
                obsolete.Add(_segments[0]);
                _segments.RemoveAt(0);
            }
        }
        // The checkpoint on disk may lag: what it leaves out is only sent again after a crash. It must not
        // lag behind a deleted segment, though.
        // The injected clock, as for arrival times, so that a test can move it past the interval instead of waiting.
        if (obsolete.Count > 0 || _time.GetElapsedTime(Volatile.Read(ref _checkpointWritten)) >= _checkpointInterval)
            WriteCheckpoint(offset);
        foreach (var segment in obsolete)
            File.Delete(segment.Path);
        Signal(ref _confirmedSignal);
    }

    /// <summary>
    /// A reader positioned at the checkpoint, for the one drainer. Decoded strings equal to one of
    /// <paramref name="knownStrings"/> (catalog ids) are that very instance.
    /// </summary>
    public Reader OpenReader(IEnumerable<string>? knownStrings = null) => new(this, ConfirmedOffset, knownStrings);

    /// <summary>Writes what is pending and closes the files. Appends after this throw.</summary>
    public void Dispose()
    {
        lock (_pendingGate)
        {
            if (_closing) return;
            _closing = true;
            Monitor.Pulse(_pendingGate);
        }
        _committer.Join();
        if (_active is not null && _broken is null)
        {
            try
            {
                CutZeros();
            }
            catch (IOException ex)
            {
                // Harmless: the next start finds the zeros and cuts them itself.
                _logger.LogWarning("The buffer's last segment kept its zeroed tail on close ({Error})", ex.Message);
            }
        }
        _active?.Dispose();
        try
        {
            WriteCheckpoint(ConfirmedOffset);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            // Closing must not fail on a full disk: the older checkpoint on disk only means sending again what the
            // store already holds, which its idempotent writes absorb.
            _logger.LogWarning("The buffer checkpoint was not saved on close because the disk is full ({Error}); the next start sends again from the previous one",
                ex.Message);
        }
    }

    private bool Reserve(int bytes, int points)
    {
        var b = Interlocked.Add(ref _unconfirmedBytes, bytes);
        var p = Interlocked.Add(ref _unconfirmedPoints, points);
        // An empty buffer takes any one request, so a request larger than the bound is not refused for ever.
        if ((b > _maxBytes || p > _maxPoints) && b > bytes)
        {
            Release(bytes, points);
            return false;
        }
        return true;
    }

    private void Release(long bytes, long points)
    {
        Interlocked.Add(ref _unconfirmedBytes, -bytes);
        Interlocked.Add(ref _unconfirmedPoints, -points);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal(ref TaskCompletionSource signal)
    {
        TaskCompletionSource fired;
        lock (_signalLock)
        {
            fired = signal;
            signal = NewSignal();
        }
        fired.SetResult();
    }

    // ---- Committer ----

    private void CommitLoop()
    {
        var group = new List<PendingAppend>();
        while (true)
        {
            lock (_pendingGate)
            {
                while (_pending.Count == 0 && !_closing) Monitor.Wait(_pendingGate);
                if (_pending.Count == 0) return;
                (_pending, group) = (group, _pending);
            }
            Commit(group);
            group.Clear();
        }
    }

    private void Commit(List<PendingAppend> group)
    {
        var done = 0;
        try
        {
            if (_broken is { } broken) throw new IOException("The write-ahead buffer failed earlier.", broken);
            while (done < group.Count)
            {
                if (_active is null || (_activeLength > 0 && _activeLength + group[done].Length > _segmentBytes))
                    Roll();
                // As many records as fit in this segment, and at least one.
                _gather.Clear();
                var start = _activeLength;
                var length = 0L;
                var next = done;
                do
                {
                    _gather.Add(group[next].Buffer.AsMemory(0, group[next].Length));
                    length += group[next].Length;
                    next++;
                }
                while (next < group.Count && start + length + group[next].Length <= _segmentBytes);

                ZeroAheadOf(start + length);
                RandomAccess.Write(_active!, _gather, start);
                RandomAccess.FlushToDisk(_active!);
                _activeLength = start + length;
                Interlocked.Increment(ref _groupCommits);
                // Before any append completes, so that whoever sees an acceptance also sees the recovery logged.
                if (_failingSince is not null) Recovered();

                var end = _activeBase + start;
                lock (_recordsLock)
                {
                    for (var i = done; i < next; i++)
                    {
                        end += group[i].Length;
                        group[i].End = end;
                        _records.Enqueue(new RecordInfo(end, group[i].Length, group[i].Points, group[i].ArrivalUnixMs));
                    }
                }
                Volatile.Write(ref _durableEnd, end);
                Interlocked.Add(ref _appends, next - done);
                Signal(ref _durableSignal);
                for (var i = done; i < next; i++)
                {
                    group[i].ReturnBuffer();
                    group[i].Succeed();
                }
                done = next;
            }
        }
        catch (Exception ex)
        {
            Failed(ex, group.Count - done);
            CutBackToDurable();
            for (var i = done; i < group.Count; i++)
            {
                Release(group[i].Length, group[i].Points);
                group[i].ReturnBuffer();
                group[i].Fail(new IOException("The request could not be written to the write-ahead buffer.", ex));
            }
        }
    }

    /// <summary>
    /// Logs a write that failed, once per episode of failures rather than once per request, and at most one episode
    /// a minute (a disk on the edge of full fails and recovers with every request): a full disk refuses every
    /// request until space returns, and is an operating condition, not a fault of the hub, so it is a warning
    /// naming the error and its errno, without a stack trace. Any other failure is an error, with its exception.
    /// Readiness, the metrics and each 503 name the disk meanwhile (<see cref="IngestCapacity"/>).
    /// </summary>
    private void Failed(Exception ex, int refused)
    {
        _refusedSinceFailing += refused;
        if (_failingSince is not null) return;
        var now = _time.GetUtcNow();
        _failingSince = now;
        _failingLogged = now - _lastFailureLogged >= FailureLogPeriod;
        if (!_failingLogged)
        {
            _failuresNotLogged++;
            return;
        }
        _lastFailureLogged = now;
        var io = ex as IOException ?? ex.InnerException as IOException;
        if (io is not null && IsDiskFull(io))
            _logger.LogWarning("The disk under the write-ahead buffer is full ({Error}, errno {Errno}); requests are refused with 503 until space returns ({Earlier} more episodes in the last minute)",
                io.Message, io.HResult, _failuresNotLogged);
        else
            _logger.LogError(ex, "Could not make {Count} buffered requests durable; they are refused, and so is every request until a write succeeds ({Earlier} more episodes in the last minute)",
                refused, _failuresNotLogged);
        _failuresNotLogged = 0;
    }

    /// <summary>Logs the end of an episode of failed writes, when its start was logged.</summary>
    private void Recovered()
    {
        if (_failingLogged)
            _logger.LogInformation("The write-ahead buffer takes requests again after {Duration} of failed writes; {Refused} requests were refused meanwhile",
                _time.GetUtcNow() - _failingSince!.Value, _refusedSinceFailing);
        _failingSince = null;
        _refusedSinceFailing = 0;
    }

    /// <summary>
    /// Whether <paramref name="error"/> says the disk is full: ENOSPC or EDQUOT, which .NET keeps as the
    /// <see cref="Exception.HResult"/> of an I/O error on Unix, or ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    public static bool IsDiskFull(IOException error) =>
        OperatingSystem.IsWindows() ? (error.HResult & 0xFFFF) is 39 or 112 : error.HResult is ENOSPC or EDQUOT;

    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    /// <summary>After a failed write, removes any partial bytes so that later records follow the last durable one.</summary>
    private void CutBackToDurable()
    {
        if (_active is null || _broken is not null) return;
        try
        {
            RandomAccess.SetLength(_active, _activeLength);
            RandomAccess.FlushToDisk(_active);
            _activeZeroedTo = _activeLength;
        }
        catch (Exception ex)
        {
            _broken = ex;
            _logger.LogCritical(ex, "The write-ahead buffer cannot be repaired; ingest refuses points until restart");
        }
    }

    private void Roll()
    {
        var start = _active is null ? DurableEnd : _activeBase + _activeLength;
        // A segment left behind ends at its last record, so that recovery reads every segment but the last to its end.
        if (_active is not null) CutZeros();
        _active?.Dispose();
        _active = null;
        var path = SegmentPath(start);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        // The new file's directory entry must be durable before any record in it is acknowledged.
        SyncDirectory(_directory);
        lock (_segmentsLock) _segments.Add(new Segment(start, path));
        _active = handle;
        _activeBase = start;
        _activeLength = 0;
        _activeZeroedTo = 0;
    }

    /// <summary>
    /// Zeroes the active segment up to the next whole <see cref="ZeroAhead"/> past <paramref name="end"/> (no further
    /// than the segment size, unless one record is larger), if it is not zeroed so far yet. The fsync of the records
    /// that follows makes the zeros durable with them.
    /// </summary>
    private void ZeroAheadOf(long end)
    {
        if (end <= _activeZeroedTo) return;
        var target = Math.Max(end, Math.Min((end + ZeroAhead - 1) / ZeroAhead * ZeroAhead, _segmentBytes));
        while (_activeZeroedTo < target)
        {
            var n = (int)Math.Min(ZeroAhead, target - _activeZeroedTo);
            RandomAccess.Write(_active!, Zeros.Span[..n], _activeZeroedTo);
            _activeZeroedTo += n;
        }
    }

    /// <summary>Cuts the active segment's zeroed tail off, durably.</summary>
    private void CutZeros()
    {
        if (_activeZeroedTo <= _activeLength) return;
        RandomAccess.SetLength(_active!, _activeLength);
        RandomAccess.FlushToDisk(_active!);
        _activeZeroedTo = _activeLength;
    }

    private string SegmentPath(long start) => Path.Combine(_directory, start.ToString("D20", CultureInfo.InvariantCulture) + SegmentSuffix);

    // ---- Checkpoint ----

    private void WriteCheckpoint(long offset)
    {
        lock (_checkpointLock)
        {
            if (offset <= _checkpointOffset) return;
            WriteCheckpointFile(offset);
            _checkpointOffset = offset;
            Volatile.Write(ref _checkpointWritten, _time.GetTimestamp());
        }
    }

    private void WriteCheckpointFile(long offset)
    {
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], BufferRecord.Checksum(bytes[..8]));
        var path = Path.Combine(_directory, CheckpointFile);
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }
        // No directory fsync: if the rename is lost, the older checkpoint only means resending, which is harmless.
        File.Move(temporary, path, overwrite: true);
    }

    private long? ReadCheckpoint()
    {
        var path = Path.Combine(_directory, CheckpointFile);
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != 12 || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)) != BufferRecord.Checksum(bytes.AsSpan(0, 8)))
        {
            _logger.LogWarning("The buffer checkpoint is damaged; everything still buffered is sent again");
            return null;
        }
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    // ---- Recovery ----

    private void Recover()
    {
        File.Delete(Path.Combine(_directory, CheckpointFile + ".tmp"));
        var files = Directory.EnumerateFiles(_directory, "*" + SegmentSuffix)
            .Select(path => (Path: path, Base: long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : -1))
            .Where(f => f.Base >= 0)
            .OrderBy(f => f.Base)
            .ToList();
        var confirmed = ReadCheckpoint() ?? (files.Count > 0 ? files[0].Base : 0);
        var end = confirmed;
        long bytes = 0, points = 0, torn = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var (path, start) = files[i];
            var last = i == files.Count - 1;
            var length = new FileInfo(path).Length;
            if (length == 0 || start + length <= confirmed)
            {
                File.Delete(path);
                continue;
            }
            var from = Math.Max(start, confirmed) - start;
            using var scanner = new SegmentScanner(path, length);
            var at = from;
            while (true)
            {
                var status = scanner.TryRead(at, out var record);
                if (status != SegmentScanner.Status.Ok)
                    break;
                var (arrival, count) = BufferRecord.Summary(record[BufferRecord.HeaderSize..]);
                at += record.Length;
                _records.Enqueue(new RecordInfo(start + at, record.Length, count, arrival));
                bytes += record.Length;
                points += count;
            }
            if (at < length)
            {
                // Zeros to the end are the tail the process had zeroed ahead of its records: nothing was written there.
                // Anything else after the last intact record of the last segment is a torn record: the crash came
                // before its fsync, so none of it was acknowledged.
                var unused = ZerosFrom(path, at, length);
                if (unused || last)
                {
                    if (!unused) torn = length - at;
                    CutAt(path, at);
                }
                else
                {
                    _logger.LogError("Buffer segment {Path} is damaged at byte {Offset}; its remaining {Bytes} bytes cannot be sent",
                        path, at, length - at);
                }
            }
            if (at == 0)
            {
                File.Delete(path);
                continue;
            }
            _segments.Add(new Segment(start, path));
            end = start + at;
        }
        _confirmed = confirmed;
        _durableEnd = Math.Max(end, confirmed);
        _unconfirmedBytes = bytes;
        _unconfirmedPoints = points;
        if (torn > 0)
            _logger.LogWarning("Ignored a torn record of {Bytes} bytes at the end of the buffer, left by a crash", torn);
        if (points > 0)
            _logger.LogInformation("The buffer holds {Points} points ({Bytes} bytes) not yet confirmed by the store; they are sent again", points, bytes);
    }

    /// <summary>Cuts a segment found at start-up to <paramref name="length"/> bytes, durably.</summary>
    private static void CutAt(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, length);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Whether the file holds only zero bytes from <paramref name="from"/> to <paramref name="length"/>.</summary>
    private static bool ZerosFrom(string path, long from, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (var at = from; at < length;)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - at)), at);
                if (n == 0) return false;
                if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
                at += n;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // ---- Reading ----

    /// <summary>
    /// One buffered request as line protocol, as the time-series server takes it: a view of the reader's buffer, valid
    /// until the reader reads again.
    /// </summary>
    /// <param name="Utf8">Its lines.</param>
    /// <param name="Points">How many points they hold.</param>
    /// <param name="Precision">The unit of their timestamps.</param>
    /// <param name="Compact">Whether each line starts with its unit's id in place of its prefix (<see cref="LineProtocolFormatter.Expand"/>).</param>
    public readonly ref struct BufferedLines(ReadOnlySpan<byte> Utf8, int Points, WritePrecision Precision, bool Compact = false)
    {
        /// <summary>Whether each line starts with its unit's id in place of its prefix.</summary>
        public bool Compact { get; } = Compact;

        /// <summary>Its lines, UTF-8.</summary>
        public ReadOnlySpan<byte> Utf8 { get; } = Utf8;

        /// <summary>How many points they hold.</summary>
        public int Points { get; } = Points;

        /// <summary>The unit of their timestamps.</summary>
        public WritePrecision Precision { get; } = Precision;
    }

    /// <summary>Reads records in order from a position up to the durable end. Used by one drainer at a time.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly WriteAheadLog _log;
        private readonly StringInterner _strings = new();
        private SegmentScanner? _scanner;
        private long _segmentBase;
        private long _segmentEnd;

        internal Reader(WriteAheadLog log, long position, IEnumerable<string>? knownStrings)
        {
            _log = log;
            Position = position;
            foreach (var s in knownStrings ?? []) _strings.Add(s);
        }

        /// <summary>The start of the next record.</summary>
        public long Position { get; private set; }

        /// <summary>
        /// Adds the points of the next durable record to <paramref name="points"/>; false when every durable
        /// record has been read. <see cref="Position"/> is then the end of that record.
        /// </summary>
        public bool TryRead(List<TelemetryPoint> points)
        {
            if (!TryRead(out var payload)) return false;
            BufferRecord.Decode(payload, _strings, points);
            return true;
        }

        /// <summary>
        /// Reads the next durable record as it was kept: line protocol into <paramref name="lines"/> (true
        /// <paramref name="isLines"/>) when the request was buffered as such, else its points into
        /// <paramref name="points"/>. False when every durable record has been read.
        /// </summary>
        public bool TryReadLines(List<TelemetryPoint> points, out BufferedLines lines, out bool isLines)
        {
            lines = default;
            isLines = false;
            if (!TryRead(out var payload)) return false;
            if (BufferRecord.HoldsLines(payload))
            {
                var text = BufferRecord.Lines(payload, out var precision, out var count);
                lines = new BufferedLines(text, count, precision, BufferRecord.HoldsCompactLines(payload));
                isLines = true;
            }
            else
                BufferRecord.Decode(payload, _strings, points);
            return true;
        }

        private bool TryRead(out ReadOnlySpan<byte> payload)
        {
            payload = default;
            while (true)
            {
                // The durable end first: a segment is listed before any record in it becomes durable.
                var durable = _log.DurableEnd;
                if (Position >= durable) return false;
                if (_scanner is not null && _segmentEnd == long.MaxValue)
                    _segmentEnd = _log.NextSegmentBase(_segmentBase);
                if (_scanner is null || Position >= _segmentEnd)
                {
                    _scanner?.Dispose();
                    _scanner = null;
                    if (!_log.FindSegment(Position, out var segment, out var next))
                        return false;
                    if (segment.Base > Position) Position = segment.Base;
                    _segmentBase = segment.Base;
                    _segmentEnd = next;
                    _scanner = new SegmentScanner(segment.Path, 0);
                }
                _scanner.Limit = Math.Min(durable, _segmentEnd) - _segmentBase;
                var status = _scanner.TryRead(Position - _segmentBase, out var record);
                if (status == SegmentScanner.Status.Ok)
                {
                    Position += record.Length;
                    payload = record[BufferRecord.HeaderSize..];
                    return true;
                }
                // Below the durable end every record was intact when written: this is damage on disk.
                _log._logger.LogError("Buffer record at offset {Offset} is damaged; skipping the rest of its segment", Position);
                Position = _segmentEnd == long.MaxValue ? durable : _segmentEnd;
            }
        }

        /// <summary>Closes the segment file.</summary>
        public void Dispose() => _scanner?.Dispose();
    }

    /// <summary>Where the segment after the one starting at <paramref name="start"/> starts, or <see cref="long.MaxValue"/>.</summary>
    private long NextSegmentBase(long start)
    {
        lock (_segmentsLock)
        {
            foreach (var segment in _segments)
                if (segment.Base > start) return segment.Base;
            return long.MaxValue;
        }
    }

    /// <summary>The segment holding <paramref name="position"/>, or the first one after it; and where the next one starts.</summary>
    private bool FindSegment(long position, out Segment segment, out long next)
    {
        lock (_segmentsLock)
        {
            for (var i = _segments.Count - 1; i >= 0; i--)
            {
                if (_segments[i].Base <= position || i == 0)
                {
                    var index = _segments[i].Base <= position ? i : 0;
                    segment = _segments[index];
                    next = index + 1 < _segments.Count ? _segments[index + 1].Base : long.MaxValue;
                    return true;
                }
            }
        }
        segment = default;
        next = 0;
        return false;
    }

    // Plain DllImport: LibraryImport would need unsafe code in the project for three calls.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(directory, 0);
        if (fd < 0) throw new IOException($"Cannot open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).", Marshal.GetLastPInvokeError());
        try
        {
            if (FSync(fd) != 0) throw new IOException($"Cannot sync directory '{directory}' (errno {Marshal.GetLastPInvokeError()}).", Marshal.GetLastPInvokeError());
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>An append waiting for the committer: its record, and the awaitable its caller holds. Pooled.</summary>
    private sealed class PendingAppend : IValueTaskSource<bool>
    {
        private static readonly ConcurrentQueue<PendingAppend> Pool = new();
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public byte[] Buffer = [];
        public int Length;
        public int Points;
        public long ArrivalUnixMs;
        public long End;

        public static PendingAppend Rent(byte[] buffer, int length, int points, long arrival)
        {
            if (!Pool.TryDequeue(out var pending)) pending = new PendingAppend();
            (pending.Buffer, pending.Length, pending.Points, pending.ArrivalUnixMs) = (buffer, length, points, arrival);
            return pending;
        }

        public ValueTask<bool> Completion => new(this, _core.Version);

        public void ReturnBuffer()
        {
            if (Buffer.Length > 0) ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
        }

        public void Succeed() => _core.SetResult(true);

        public void Fail(Exception ex) => _core.SetException(ex);

        public bool GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
                if (Pool.Count < 1024) Pool.Enqueue(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
