namespace Ioc.TimeSeries;

/// <summary>
/// Compares byte arrays by their contents, and looks them up from spans (an alternate lookup), so that a dictionary keyed
/// by bytes as they arrived is read without making an array or a string.
/// </summary>
public sealed class Utf8Keys : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly Utf8Keys Comparer = new();

    private Utf8Keys()
    {
    }

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] bytes) => GetHashCode(bytes.AsSpan());

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
