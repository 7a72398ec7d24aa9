using Ioc.Contracts;

namespace Ioc.Ingest.LineProtocol;

/// <summary>
/// The metrics a unit reports, one bit for each place in the catalog's list of metrics. A spread request names a different
/// unit on every line, and checking a line's metric against the unit's list of ids read that unit's strings, seldom in
/// the cache: a profile of the spread shape had a quarter of the parser's own samples on those loads. The first 64
/// metrics are held in the value itself, so a catalog of up to 64 metrics is checked with no load at all.
/// </summary>
internal readonly struct MetricBits
{
    private readonly ulong _first;
    private readonly ulong[]? _rest;

    private MetricBits(ulong first, ulong[]? rest) => (_first, _rest) = (first, rest);

    /// <summary>The metrics of <paramref name="unit"/>, placed as in <paramref name="catalog"/>.</summary>
    public static MetricBits Of(CatalogEntity unit, Catalog catalog)
    {
        ulong first = 0;
        ulong[]? rest = null;
        foreach (var id in unit.Metrics)
        {
            var ordinal = catalog.MetricOrdinal(id);
            if (ordinal < 0) continue;
            if (ordinal < 64)
            {
                first |= 1UL << ordinal;
                continue;
            }
            rest ??= new ulong[(catalog.Metrics.Length - 64 + 63) / 64];
            rest[(ordinal - 64) / 64] |= 1UL << (ordinal % 64);
        }
        return new MetricBits(first, rest);
    }

    /// <summary>Whether the unit reports the metric at <paramref name="ordinal"/> in the catalog's list.</summary>
    public bool Contains(int ordinal) => ordinal switch
    {
        < 0 => false,
        < 64 => (_first & (1UL << ordinal)) != 0,
        _ => _rest is { } rest && (ordinal - 64) / 64 < rest.Length && (rest[(ordinal - 64) / 64] & (1UL << (ordinal % 64))) != 0,
    };
}
