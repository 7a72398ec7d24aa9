using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Ioc.Contracts;

namespace Ioc.Gateway.Api;

/// <summary>Where a page of alerts ends: the place, in the list's order, of its last alert.</summary>
/// <param name="RaisedAt">When that alert was raised.</param>
/// <param name="Id">Its id, which orders alerts raised at the same moment.</param>
public readonly record struct AlertCursor(DateTimeOffset RaisedAt, string Id)
{
    /// <summary>The cursor as the opaque text the <c>before</c> query parameter takes.</summary>
    public override string ToString() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{RaisedAt.UtcTicks}:{Id}")));

    /// <summary>Reads a cursor written by <see cref="ToString"/>; false for anything else.</summary>
    public static bool TryParse(string text, out AlertCursor cursor)
    {
        cursor = default;
        if (text.Length > 1024 || !Base64Url.IsValid(text))
            return false;
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(text));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 1 || colon == decoded.Length - 1
            || !long.TryParse(decoded.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
            return false;
        cursor = new AlertCursor(new DateTimeOffset(ticks, TimeSpan.Zero), decoded[(colon + 1)..]);
        return true;
    }

    /// <summary>Whether <paramref name="alert"/> comes after this cursor in the list's order (newest first, then by id).</summary>
    public bool Precedes(Alert alert) =>
        alert.RaisedAt < RaisedAt || (alert.RaisedAt == RaisedAt && string.CompareOrdinal(alert.Id, Id) > 0);

    /// <summary>The cursor just after <paramref name="alert"/>.</summary>
    public static AlertCursor After(Alert alert) => new(alert.RaisedAt, alert.Id);
}

/// <summary>
/// One page of a scope's alerts, merged from the indexes' lists, each already newest first: the merge walks
/// only as far as the page reaches, so a page costs what it holds and the number of lists, not every alert
/// kept in the province.
/// </summary>
public static class AlertPage
{
    /// <summary>The list's order: newest first, then by id.</summary>
    public static int Compare(Alert a, Alert b)
    {
        var byTime = b.RaisedAt.CompareTo(a.RaisedAt);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.Id, b.Id);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> alerts that <paramref name="include"/> takes, after <paramref name="before"/> (from the
    /// start when null), in the list's order; and the cursor of the next page, null when there is none.
    /// </summary>
    /// <param name="lists">Lists each in the list's order, holding no alert twice between them.</param>
    public static (ImmutableArray<Alert> Page, AlertCursor? Next) Take(
        IReadOnlyList<ImmutableArray<Alert>> lists, Func<Alert, bool> include, AlertCursor? before, int limit)
    {
        var heads = new PriorityQueue<(int List, int Index), Alert>(lists.Count, Comparer<Alert>.Create(Compare));
        for (var l = 0; l < lists.Count; l++)
        {
            var start = before is { } cursor ? FirstAfter(lists[l], cursor) : 0;
            if (start < lists[l].Length)
                heads.Enqueue((l, start), lists[l][start]);
        }
        var page = ImmutableArray.CreateBuilder<Alert>(Math.Min(limit, 256));
        while (heads.TryDequeue(out var head, out var alert))
        {
            if (include(alert))
            {
                if (page.Count == limit)
                    return (page.ToImmutable(), AlertCursor.After(page[^1]));
                page.Add(alert);
            }
            if (head.Index + 1 < lists[head.List].Length)
                heads.Enqueue((head.List, head.Index + 1), lists[head.List][head.Index + 1]);
        }
        return (page.ToImmutable(), null);
    }

    /// <summary>The index of the first alert of <paramref name="list"/> after <paramref name="cursor"/>.</summary>
    private static int FirstAfter(ImmutableArray<Alert> list, AlertCursor cursor)
    {
        int low = 0, high = list.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (cursor.Precedes(list[mid])) high = mid;
            else low = mid + 1;
        }
        return low;
    }
}
