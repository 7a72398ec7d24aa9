using System.Collections.Immutable;

namespace Ioc.Contracts;

/// <summary>Folding updates together, so that a burst becomes one update carrying the final values.</summary>
public static class LiveUpdates
{
    /// <summary>
    /// Folds <paramref name="later"/> into <paramref name="earlier"/>: the sequence range widens, status
    /// and counts come from the later update, and per metric or child the later value wins.
    /// </summary>
    /// <remarks>
    /// When the two ranges are not contiguous (updates were lost between them, or the entity's grain was
    /// reactivated and its sequence jumped), the merged update starts where <paramref name="later"/>
    /// starts, so that a screen sees the gap and takes a fresh snapshot instead of trusting the fold.
    /// </remarks>
    public static EntityUpdate Merge(EntityUpdate earlier, EntityUpdate later)
    {
        if (later.Sequence < earlier.Sequence)
            (earlier, later) = (later, earlier);
        var contiguous = later.FromSequence <= earlier.Sequence + 1;
        return new(
        later.Id,
        contiguous ? Math.Min(earlier.FromSequence, later.FromSequence) : later.FromSequence,
        Math.Max(earlier.Sequence, later.Sequence),
        later.Status,
        later.LastReport ?? earlier.LastReport,
        Fold(earlier.Metrics, later.Metrics, m => m.Metric),
        Fold(earlier.Rollups, later.Rollups, r => r.Metric),
        later.Units,
        Fold(earlier.Children, later.Children, c => c.Id),
        later.BelowTarget,
        later.NotReported);
    }

    private static ImmutableArray<T> Fold<T>(ImmutableArray<T> earlier, ImmutableArray<T> later, Func<T, string> key)
    {
        if (earlier.IsDefaultOrEmpty) return later;
        if (later.IsDefaultOrEmpty) return earlier;
        // A locality's update names every unit under it that reported, thousands a second at province scale, and a
        // screen that is slow to take its frames folds them again and again: a set keeps each fold linear.
        var replaced = later.Length <= 8 ? null : new HashSet<string>(later.Select(key), StringComparer.Ordinal);
        var builder = ImmutableArray.CreateBuilder<T>(earlier.Length + later.Length);
        foreach (var item in earlier)
            if (replaced is null ? !later.Any(l => key(l) == key(item)) : !replaced.Contains(key(item)))
                builder.Add(item);
        builder.AddRange(later);
        return builder.ToImmutable();
    }
}
