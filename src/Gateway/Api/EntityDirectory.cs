using System.Collections.Frozen;
using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Gateway.Api;

/// <summary>An entity as one level of the tree lists it: counts instead of child lists, so that a locality of 2,000 units stays small.</summary>
/// <param name="Id">Entity id.</param>
/// <param name="Name">Vietnamese name, with diacritics.</param>
/// <param name="NameEn">English name, if any.</param>
/// <param name="Kind">Province, locality kind, department, project or unit.</param>
/// <param name="Role">A unit's role (air-quality station, camera, …), if any.</param>
/// <param name="Parents">The entities it reports to.</param>
/// <param name="ChildCount">How many entities report to it.</param>
/// <param name="UnitCount">How many units are at or below it.</param>
/// <param name="Metrics">A unit's own metrics; for a group, every metric some unit below it reports (what it has roll-ups for), in catalog order.</param>
/// <param name="Map">A locality's cell on the wall's map, as column and row.</param>
public sealed record EntityLevelNode(
    string Id, string Name, string? NameEn, EntityKind Kind, string? Role,
    ImmutableArray<string> Parents, int ChildCount, int UnitCount, ImmutableArray<string> Metrics, ImmutableArray<int> Map);

/// <summary>One page of a level of the tree.</summary>
/// <param name="Entity">The entity whose children these are; null for a list of named entities.</param>
/// <param name="Total">How many entities the level (or the list) holds in all.</param>
/// <param name="Offset">Index of the first item of this page.</param>
/// <param name="Limit">Largest page asked for.</param>
/// <param name="Items">The page, in catalog order.</param>
public sealed record EntityPage(EntityLevelNode? Entity, int Total, int Offset, int Limit, ImmutableArray<EntityLevelNode> Items);

/// <summary>What a search found.</summary>
/// <param name="Query">The query as given.</param>
/// <param name="Total">How many entities match in all.</param>
/// <param name="Items">The best matches, best first: an exact id, then names that start with the query, then the rest; places before units.</param>
public sealed record EntitySearchResult(string Query, int Total, ImmutableArray<EntityLevelNode> Items);

/// <summary>
/// The catalog as screens browse it, built once from the immutable catalog: each entity's level node,
/// and a folded name index for search. A search folds the query once and scans precomputed strings with
/// ordinal comparisons, so a keystroke costs no allocation per entity.
/// </summary>
public sealed class EntityDirectory
{
    private readonly Catalog _catalog;
    private readonly FrozenDictionary<string, EntityLevelNode> _nodes;
    private readonly EntityLevelNode[] _ordered;
    // "id name nameEn", folded, one per entity in catalog order; and the folded name alone, for prefix ranking.
    private readonly string[] _haystacks;
    private readonly string[] _foldedNames;
    private readonly int[] _kindRank;

    /// <summary>Builds the nodes and the search index.</summary>
    public EntityDirectory(Catalog catalog)
    {
        _catalog = catalog;
        var reported = catalog.Entities.ToDictionary(e => e.Id, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var unit in catalog.Entities.Where(e => e.Kind == EntityKind.Unit))
        {
            var metrics = unit.Metrics.IsDefault ? [] : unit.Metrics;
            reported[unit.Id].UnionWith(metrics);
            reported[catalog.Province.Id].UnionWith(metrics);
            foreach (var parent in catalog.ParentsOf(unit.Id))
                reported[parent].UnionWith(metrics);
        }
        var order = catalog.Metrics.Select((m, i) => (m.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        _ordered = [.. catalog.Entities.Select(e => new EntityLevelNode(
            e.Id, e.Name, e.NameEn, e.Kind, e.Role, catalog.ParentsOf(e.Id), catalog.ChildrenOf(e.Id).Length, catalog.UnitsUnder(e.Id).Count,
            [.. reported[e.Id].OrderBy(m => order.GetValueOrDefault(m, int.MaxValue))], e.Map.IsDefault ? [] : e.Map))];
        _nodes = _ordered.ToFrozenDictionary(n => n.Id, StringComparer.Ordinal);
        _foldedNames = [.. _ordered.Select(n => NameFolding.Fold(n.Name))];
        _haystacks = [.. _ordered.Select((n, i) => $"{NameFolding.Fold(n.Id)} {_foldedNames[i]} {NameFolding.Fold(n.NameEn)}")];
        _kindRank = [.. _ordered.Select(n => n.Kind switch
        {
            EntityKind.Province => 0,
            EntityKind.City or EntityKind.Town or EntityKind.District => 1,
            EntityKind.Department => 2,
            EntityKind.Project => 3,
            _ => 4,
        })];
    }

    /// <summary>An entity's level node, or null when the catalog has no such entity.</summary>
    public EntityLevelNode? Node(string id) => _nodes.GetValueOrDefault(id);

    /// <summary>A page of the entities that report to <paramref name="parent"/>, in catalog order.</summary>
    public EntityPage Children(EntityLevelNode parent, int offset, int limit)
    {
        var children = _catalog.ChildrenOf(parent.Id);
        var start = Math.Min(offset, children.Length);
        var count = Math.Min(limit, children.Length - start);
        var items = ImmutableArray.CreateBuilder<EntityLevelNode>(count);
        for (var i = start; i < start + count; i++)
            items.Add(_nodes[children[i]]);
        return new EntityPage(parent, children.Length, offset, limit, items.MoveToImmutable());
    }

    /// <summary>
    /// The entities whose id, Vietnamese or English name contain every word of <paramref name="query"/>,
    /// with or without diacritics; at most <paramref name="limit"/>, best first.
    /// </summary>
    public EntitySearchResult Search(string query, int limit)
    {
        var folded = NameFolding.Fold(query);
        var words = folded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            return new EntitySearchResult(query, 0, []);
        // The best `limit` by (score, catalog order); the queue's top is the worst kept.
        var best = new PriorityQueue<int, (int Score, int Index)>(limit + 1, Comparer<(int Score, int Index)>.Create((a, b) => b.CompareTo(a)));
        var total = 0;
        var id = query.Trim();
        for (var i = 0; i < _haystacks.Length; i++)
        {
            var haystack = _haystacks[i];
            var all = true;
            foreach (var word in words)
            {
                if (!haystack.Contains(word, StringComparison.Ordinal))
                {
                    all = false;
                    break;
                }
            }
            if (!all)
                continue;
            total++;
            var score =
                (string.Equals(_ordered[i].Id, id, StringComparison.OrdinalIgnoreCase) ? 0 :
                 _foldedNames[i].StartsWith(folded, StringComparison.Ordinal) ? 10 :
                 _foldedNames[i].Contains(folded, StringComparison.Ordinal) ? 20 : 30) + _kindRank[i];
            best.Enqueue(i, (score, i));
            if (best.Count > limit)
                best.Dequeue();
        }
        var found = new (int Score, int Index)[best.Count];
        for (var k = found.Length - 1; k >= 0; k--)
        {
            best.TryDequeue(out _, out var key);
            found[k] = key;
        }
        return new EntitySearchResult(query, total, [.. found.Select(f => _ordered[f.Index])]);
    }
}
