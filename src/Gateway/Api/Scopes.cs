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

    /// <summary>How every unit under <paramref name="scope"/> stands, asked of all of them at once.</summary>
    public static Task<UnitStanding[]> StandingsUnder(this IGrainFactory grains, Catalog catalog, CatalogEntity scope) =>
        Task.WhenAll(catalog.UnitsUnder(scope.Id).Select(u => grains.GetGrain<IUnitGrain>(u).GetStanding()));

    /// <summary>Every alert kept for the units under <paramref name="scope"/>, newest first.</summary>
    public static async Task<ImmutableArray<Alert>> AlertsUnder(this IGrainFactory grains, Catalog catalog, CatalogEntity scope)
    {
        var perUnit = await Task.WhenAll(catalog.UnitsUnder(scope.Id).Select(u => grains.GetGrain<IAlertsGrain>(u).GetAlerts()));
        return [.. perUnit.SelectMany(a => a).OrderByDescending(a => a.RaisedAt).ThenBy(a => a.Id, StringComparer.Ordinal)];
    }
}
