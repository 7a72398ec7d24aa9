using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Ioc.TimeSeries;

/// <summary>Reads framed records from one segment file through a pooled window.</summary>
internal sealed class SegmentScanner : IDisposable
{
    public enum Status { Ok, Incomplete, Damaged }

    private readonly SafeFileHandle _file;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    private long _bufferStart;
    private int _bufferLength;

    public SegmentScanner(string path, long limit)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Limit = limit;
    }

    /// <summary>How many bytes of the file may be read.</summary>
    public long Limit { get; set; }

    /// <summary>The whole framed record at <paramref name="position"/>, if it is there and intact.</summary>
    public Status TryRead(long position, out ReadOnlySpan<byte> record)
    {
        record = default;
        if (position + BufferRecord.HeaderSize > Limit) return Status.Incomplete;
        Ensure(position, BufferRecord.HeaderSize);
        var length = BufferRecord.PayloadLength(_buffer.AsSpan((int)(position - _bufferStart), BufferRecord.HeaderSize));
        if (length < 0) return Status.Damaged;
        var size = BufferRecord.HeaderSize + length;
        if (position + size > Limit) return Status.Incomplete;
        Ensure(position, size);
        record = _buffer.AsSpan((int)(position - _bufferStart), size);
        return BufferRecord.IsIntact(record) ? Status.Ok : Status.Damaged;
    }

    private void Ensure(long position, int count)
    {
        if (position >= _bufferStart && position + count <= _bufferStart + _bufferLength) return;
        if (_buffer.Length < count)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(count);
        }
        var want = (int)Math.Min(_buffer.Length, Limit - position);
        var read = 0;
        while (read < want)
        {
            var n = RandomAccess.Read(_file, _buffer.AsSpan(read, want - read), position + read);
            if (n == 0) break;
            read += n;
        }
        _bufferStart = position;
        _bufferLength = read;
        if (read < count) throw new EndOfStreamException($"Buffer segment ended {count - read} bytes early.");
    }

    public void Dispose()
    {
        _file.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
