using System.Collections.Concurrent;
using Ioc.TimeSeries;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// What a valid tag set gave: its unit's id and the metrics it reports, its other tags, and what the limits must allow for
/// it to be valid. A value kept in the cache's entry, so that a line whose set is known reads nothing of its unit but what
/// is here. <see cref="UnitAt"/> and <see cref="UnitLength"/> say where in the set the unit tag's value lies, when it is the
/// id's own bytes (<see cref="Ioc.TimeSeries.ReceivedLine.UnitAt"/>); the length is 0 when it is not.
/// </summary>
internal readonly record struct KnownTags(string UnitId, string? ExtraTags, MetricBits Metrics, int Count, int LongestKey, int LongestValue,
    int UnitAt = 0, int UnitLength = 0)
{
    /// <summary>Whether the set is within <paramref name="limits"/>, which may differ from those it was first checked against.</summary>
    public bool Fits(TagLimits limits) =>
        Count <= limits.MaxPerLine && LongestKey <= limits.MaxKeyBytes && LongestValue <= limits.MaxValueBytes;
}

/// <summary>
/// Tag sets as written (escaped bytes) that were found valid, with what they gave. A gateway's request names a different
/// unit on every line, so nearly every line would otherwise unescape, sort and check its tags and look its unit up; the
/// same tag sets come back with every request. Bounded in bytes: once full it takes no more, and lines beyond it are
/// checked as before, so a client that sends a new tag value on every line costs it nothing but the budget. Validity that
/// depends on the request (the token's scope, the limits in force) is checked on every line, hit or not.
/// </summary>
internal sealed class TagSetCache
{
    /// <summary>
    /// What the kept sets may take, roughly: 20,000 units with their unit tag and a few others take about 5 MiB.
    /// </summary>
    public const long Budget = 16L << 20;

    /// <summary>A set longer than this is checked every time: it is not a unit tag and a few short ones.</summary>
    public const int LongestKept = 512;

    private readonly ConcurrentDictionary<byte[], KnownTags> _sets = new(Utf8Keys.Comparer);
    private readonly ConcurrentDictionary<byte[], KnownTags>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private long _used;

    public TagSetCache() => _lookup = _sets.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>What the kept sets take, by the estimate the budget is held to.</summary>
    public long Used => Volatile.Read(ref _used);

    public bool TryGet(ReadOnlySpan<byte> tags, TagLimits limits, out KnownTags known) =>
        _lookup.TryGetValue(tags, out known) && known.Fits(limits);

    public void Add(ReadOnlySpan<byte> tags, KnownTags known)
    {
        // The key's bytes, the extra tags as a string (two bytes a character) and the entry itself.
        var cost = tags.Length + 2L * (known.ExtraTags?.Length ?? 0) + 160;
        if (tags.Length > LongestKept || Volatile.Read(ref _used) + cost > Budget) return;
        if (_lookup.TryAdd(tags, known))
            Interlocked.Add(ref _used, cost);
    }
}
