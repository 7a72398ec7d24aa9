using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Gateway.Api;

/// <summary>Reading the units under a scope: the province, a locality, a department, a project or one unit.</summary>
internal static class Scopes
{
    /// <summary>The scope an optional <c>scope</c> query names, the province by default; null when it names no entity.</summary>
    public static CatalogEntity? Resolve(Catalog catalog, string? scope) =>
        string.IsNullOrEmpty(scope) ? catalog.Province : catalog.TryGetEntity(scope, out var entity) ? entity : null;

    /// <summary>The 400 answer for a scope that names no entity.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Unknown(string? scope) => TypedResults.Problem(
        $"The query parameter 'scope' names '{scope}', which is not an entity in the catalog.", statusCode: StatusCodes.Status400BadRequest,
        title: "Unknown scope");

    /// <summary>
    /// The indexes that between them hold every unit under <paramref name="scope"/> once: the scope's own for
    /// a locality, a department or a project, the localities for the province, the locality for a unit.
    /// </summary>
    public static IEnumerable<IScopeIndex> IndexesOf(this IGrainFactory grains, Catalog catalog, CatalogEntity scope) => scope.Kind switch
    {
        EntityKind.Province => catalog.RollupSourcesOf(scope.Id).Select(id => (IScopeIndex)grains.RollupFor(catalog.Entity(id))),
        EntityKind.Unit => [grains.RollupFor(catalog.Entity(scope.Locality!))],
        _ => [grains.RollupFor(scope)],
    };

    /// <summary>How the units under <paramref name="scope"/> stand, read from the indexes; no unit is asked.</summary>
    public static async Task<UnitStanding[]> StandingsUnder(this IGrainFactory grains, Catalog catalog, CatalogEntity scope)
    {
        var standings = await Task.WhenAll(grains.IndexesOf(catalog, scope).Select(i => i.GetStandings()));
        return scope.Kind != EntityKind.Unit ? standings : [.. standings.Select(s => new UnitStanding(
            [.. s.BelowTarget.Where(l => l.Unit == scope.Id)], [.. s.NotReported.Where(m => m.Unit == scope.Id)]))];
    }

    /// <summary>Every alert kept for the units under <paramref name="scope"/>, newest first, read from the indexes; no unit is asked.</summary>
    /// <param name="grains">The cluster.</param>
    /// <param name="catalog">The catalog.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="openOnly">Only active and acknowledged alerts.</param>
    public static async Task<ImmutableArray<Alert>> AlertsUnder(this IGrainFactory grains, Catalog catalog, CatalogEntity scope, bool openOnly = false)
    {
        var parts = await Task.WhenAll(grains.IndexesOf(catalog, scope).Select(i => i.GetAlerts(openOnly)));
        var alerts = parts.Length == 1 ? parts[0] : Newest(parts, int.MaxValue);
        return scope.Kind != EntityKind.Unit ? alerts : [.. alerts.Where(a => a.Entity == scope.Id)];
    }

    /// <summary>
    /// The newest <paramref name="most"/> open alerts of the province, newest first. Each locality's index sends only
    /// its own newest <paramref name="most"/>, so what crosses the cluster is bounded by the localities, not by how
    /// many alerts are open: a reconnect storm read the whole list once per screen.
    /// </summary>
    public static async Task<ImmutableArray<Alert>> NewestOpenAlerts(this IGrainFactory grains, Catalog catalog, int most) =>
        Newest(await Task.WhenAll(grains.IndexesOf(catalog, catalog.Province).Select(i => i.GetNewestAlerts(openOnly: true, most))), most);

    /// <summary>The newest <paramref name="most"/> of <paramref name="parts"/>, newest first, ties by id.</summary>
    private static ImmutableArray<Alert> Newest(IEnumerable<ImmutableArray<Alert>> parts, int most) =>
        [.. parts.SelectMany(a => a).OrderByDescending(a => a.RaisedAt).ThenBy(a => a.Id, StringComparer.Ordinal).Take(most)];
}
