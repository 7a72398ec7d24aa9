using System.Net.Http.Json;
using System.Text.Json;
using Ioc.Contracts;

namespace Ioc.LoadGen;

/// <summary>A unit the generator pushes for, with the metrics it pushes.</summary>
/// <param name="Id">Unit id from the catalog.</param>
/// <param name="Locality">The unit's locality, whose roll-ups a screen may watch.</param>
/// <param name="Metrics">The metrics pushed for it, at most the number asked for.</param>
/// <param name="FirstSeries">Index of its first series in the space.</param>
/// <param name="CatalogTags">
/// The tags the hub derives from the catalog for its time-series store, as line protocol
/// (<c>department=…,locality=…,projects=;a;b;</c>), so that a baseline written straight to the store has the same series.
/// </param>
public sealed record SeriesUnit(string Id, string Locality, string[] Metrics, int FirstSeries, string CatalogTags);

/// <summary>
/// The U units × M metrics a run pushes, numbered unit by unit. A run walks the series in order, one
/// point each, round and round, so at a rate of one point per series per second every series reports at 1 Hz
/// and consecutive points of a batch mostly share a unit, as they would from a unit or a gateway.
/// </summary>
public sealed class SeriesSpace
{
    private readonly int[] _unitOf;

    private SeriesSpace(IReadOnlyList<SeriesUnit> units)
    {
        Units = units;
        Count = units.Count == 0 ? 0 : units[^1].FirstSeries + units[^1].Metrics.Length;
        _unitOf = new int[Count];
        LastSent = new long[Count];
        for (var u = 0; u < units.Count; u++)
            Array.Fill(_unitOf, u, units[u].FirstSeries, units[u].Metrics.Length);
        Localities = [.. units.Select(u => u.Locality).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The units, in catalog order.</summary>
    public IReadOnlyList<SeriesUnit> Units { get; }

    /// <summary>The localities the units belong to.</summary>
    public IReadOnlyList<string> Localities { get; }

    /// <summary>
    /// The last timestamp sent per series, in Unix milliseconds. Every run over this space sends each
    /// series strictly later timestamps than any run before it, so no two points share an identity.
    /// </summary>
    internal long[] LastSent { get; }

    /// <summary>Number of series (unit, metric).</summary>
    public int Count { get; }

    /// <summary>The unit and metric of a series.</summary>
    public (SeriesUnit Unit, string Metric) this[int series]
    {
        get
        {
            var unit = Units[_unitOf[series]];
            return (unit, unit.Metrics[series - unit.FirstSeries]);
        }
    }

    /// <summary>
    /// The series of the <paramref name="k"/>-th point of a spread walk: unit after unit, one metric each, and the
    /// next metric of every unit on the next pass, so that consecutive points come from different units and
    /// every series still reports once per U × M points.
    /// </summary>
    public int Spread(long k)
    {
        var unit = Units[(int)(k % Units.Count)];
        return unit.FirstSeries + (int)(k / Units.Count % unit.Metrics.Length);
    }

    /// <summary>The first <paramref name="units"/> units that report anything, each with its first <paramref name="metrics"/> metrics.</summary>
    public static SeriesSpace From(IEnumerable<(string Id, string Locality, IReadOnlyList<string> Metrics, string Tags)> candidates, int units, int metrics)
    {
        var list = new List<SeriesUnit>();
        var next = 0;
        foreach (var (id, locality, all, tags) in candidates)
        {
            if (list.Count >= units) break;
            if (all.Count == 0) continue;
            var chosen = all.Take(metrics).ToArray();
            list.Add(new SeriesUnit(id, locality, chosen, next, tags));
            next += chosen.Length;
        }
        if (list.Count == 0)
            throw new InvalidOperationException("The catalog has no unit to push for.");
        return new SeriesSpace(list);
    }

    /// <summary>The series of a catalog file.</summary>
    public static SeriesSpace FromCatalog(string path, int units, int metrics)
    {
        var catalog = Catalog.Load(path);
        return From(catalog.Entities.Where(e => e.Kind == EntityKind.Unit)
            .Select(e => (e.Id, e.Locality!, (IReadOnlyList<string>)e.Metrics, TagsOf(e))), units, metrics);
    }

    /// <summary>The series of the catalog a running hub serves, read from its entity tree with a bearer token.</summary>
    public static async Task<SeriesSpace> FromHubAsync(HttpClient client, string bearer, int units, int metrics, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/entities");
        request.Headers.Authorization = new("Bearer", bearer);
        using var response = await client.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var tree = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        var candidates = new List<(string, string, IReadOnlyList<string>, string)>();
        foreach (var node in tree.EnumerateArray())
        {
            if (!string.Equals(node.GetProperty("kind").GetString(), "unit", StringComparison.OrdinalIgnoreCase)) continue;
            var parents = node.GetProperty("parents");
            var locality = parents.GetArrayLength() > 0 ? parents[0].GetString()! : "";
            candidates.Add((
                node.GetProperty("id").GetString()!,
                locality,
                node.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()!).ToArray(),
                "locality=" + locality));
        }
        return From(candidates, units, metrics);
    }

    /// <summary>The catalog-derived tags of the hub's time-series schema, sorted by key as line protocol prefers.</summary>
    private static string TagsOf(CatalogEntity unit)
    {
        var tags = new List<string>();
        if (unit.Department is { } department) tags.Add("department=" + department);
        tags.Add("locality=" + unit.Locality);
        if (!unit.Projects.IsDefaultOrEmpty) tags.Add("projects=;" + string.Join(';', unit.Projects.Order(StringComparer.Ordinal)) + ";");
        return string.Join(',', tags);
    }
}
