using Ioc.Ingest;
using Ioc.Ingest.LineProtocol;

namespace Ioc.Tests.LineProtocol;

/// <summary>The parser's memory of valid tag sets is bounded, whatever the tags a client sends.</summary>
public sealed class TagSetCacheTests
{
    [Fact]
    public void A_client_sending_new_tags_on_every_line_fills_the_budget_and_no_more()
    {
        var cache = new TagSetCache();
        var unit = Parsing.Catalog.Entity("van-lam-air-1");
        var metrics = MetricBits.Of(unit, Parsing.Catalog);
        var limits = new TagLimits();
        byte[] Tags(int i) => Encoding.UTF8.GetBytes($"request={i:D12},unit=van-lam-air-1");
        string Extra(int i) => $"request={i:D12}";
        // What the cache counts for each: the key's bytes, the extra tags as UTF-16 and the entry.
        var each = Tags(0).Length + 2 * Extra(0).Length + 160;
        var fits = (int)(TagSetCache.Budget / each);

        for (var i = 0; i < fits + 1_000; i++)
            cache.Add(Tags(i), new KnownTags(unit.Id, Extra(i), metrics, 2, 7, 13));

        Assert.True(cache.Used <= TagSetCache.Budget);
        Assert.True(cache.TryGet(Tags(0), limits, out var first));
        Assert.Equal("request=000000000000", first.ExtraTags);
        Assert.True(cache.TryGet(Tags(fits - 1), limits, out _));
        Assert.False(cache.TryGet(Tags(fits), limits, out _));
        // A set too long to be a unit's is never kept.
        var cached = new TagSetCache();
        var longSet = Encoding.UTF8.GetBytes($"note={new string('x', TagSetCache.LongestKept)},unit=van-lam-air-1");
        cached.Add(longSet, new KnownTags(unit.Id, null, metrics, 2, 4, TagSetCache.LongestKept));
        Assert.False(cached.TryGet(longSet, limits, out _));
    }
}
