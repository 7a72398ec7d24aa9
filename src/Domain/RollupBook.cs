using System.Collections.Immutable;

namespace Ioc.Domain;

/// <summary>A metric's roll-up after a change: what goes to the parents, and what the screens show.</summary>
/// <param name="Combined">The sources' partials combined; <see cref="MetricPartial.Empty"/> when none contributes.</param>
/// <param name="Value">The rolled-up value by the metric's kind; null when nothing rolls up.</param>
/// <param name="Cleared">Nothing rolls up any more where something did: screens must clear the value.</param>
public readonly record struct RollupChange(MetricPartial Combined, double? Value, bool Cleared)
{
    /// <summary>The metric's id.</summary>
    public string Metric => Combined.Metric;
}

/// <summary>
/// The roll-ups of one scope (a locality, a department, a project or the province): each metric's latest
/// partial from each child, combined over the children that partition the scope's units. A metric is
/// recombined only when a child's partial of it changed, once per <see cref="TakeChanges"/>, however many
/// partials arrived meanwhile.
/// </summary>
public sealed class RollupBook
{
    private sealed class Slot(string metric, int children)
    {
        public readonly string Metric = metric;
        public readonly MetricPartial[] ByChild = new MetricPartial[children];
        public bool Changed;
        public bool Shown;
    }

    private readonly int _children;
    private readonly int[] _sources;
    private readonly Dictionary<string, Slot> _metrics = new(StringComparer.Ordinal);
    private readonly List<Slot> _changed = [];

    /// <summary>A book over <paramref name="children"/> children, of which those at <paramref name="sources"/> are combined.</summary>
    /// <param name="children">How many children the scope has; each is known by its index.</param>
    /// <param name="sources">
    /// The children whose partials combine into the scope's; for the province, its localities, which hold every
    /// unit once where departments and projects overlap them.
    /// </param>
    public RollupBook(int children, IReadOnlyList<int> sources)
    {
        _children = children;
        _sources = [.. sources];
    }

    /// <summary>Takes the latest partial of a metric from the child at <paramref name="child"/>; an empty partial withdraws the child's contribution.</summary>
    public void Take(int child, MetricPartial partial)
    {
        if (!_metrics.TryGetValue(partial.Metric, out var slot))
            _metrics[partial.Metric] = slot = new Slot(partial.Metric, _children);
        slot.ByChild[child] = partial;
        MarkChanged(slot);
    }

    /// <summary>Marks every metric to be combined and sent again.</summary>
    public void MarkAllChanged()
    {
        foreach (var slot in _metrics.Values) MarkChanged(slot);
    }

    /// <summary>
    /// Combines each metric that changed over the sources; <paramref name="rollupOf"/> gives how a metric rolls
    /// up, null for one the catalog no longer has (its partial still goes up, but no value is shown).
    /// </summary>
    public ImmutableArray<RollupChange> TakeChanges(Func<string, RollupKind?> rollupOf)
    {
        var changes = ImmutableArray.CreateBuilder<RollupChange>(_changed.Count);
        foreach (var slot in _changed)
        {
            slot.Changed = false;
            var combined = MetricPartial.Empty(slot.Metric);
            foreach (var child in _sources)
            {
                // A child that never reported the metric holds a default partial, which is not an empty one.
                ref readonly var p = ref slot.ByChild[child];
                if (p.Count > 0)
                    combined = combined.Combine(p);
            }
            if (combined.Count > 0 && rollupOf(slot.Metric) is { } kind)
            {
                slot.Shown = true;
                changes.Add(new RollupChange(combined, combined.ValueOf(kind), Cleared: false));
            }
            else
            {
                changes.Add(new RollupChange(combined, null, Cleared: slot.Shown));
                slot.Shown = false;
            }
        }
        _changed.Clear();
        return changes.MoveToImmutable();
    }

    private void MarkChanged(Slot slot)
    {
        if (slot.Changed) return;
        slot.Changed = true;
        _changed.Add(slot);
    }
}
