using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Api;

/// <summary>The read API supervisors and screens drill down with.</summary>
public static class EntityEndpoints
{
    /// <summary>Page size when none is asked for.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Largest page, and most ids one request may name.</summary>
    public const int MaxLimit = 500;

    /// <summary>Most search results one request may ask for.</summary>
    public const int MaxSearchLimit = 50;

    /// <summary>An entity as the tree lists it.</summary>
    public sealed record EntityNode(
        string Id, string Name, string? NameEn, EntityKind Kind, string? Role,
        ImmutableArray<string> Parents, ImmutableArray<string> Children, ImmutableArray<string> Metrics, ImmutableArray<int> Map);

    /// <summary>
    /// Maps <c>/api/v1/entities</c> (the whole tree; one level with <c>parent=</c>, paged; named entities with
    /// <c>ids=</c>), <c>/api/v1/entities/{id}/children</c>, <c>/api/v1/entities/search</c>,
    /// <c>/api/v1/entities/{id}</c> and <c>/api/v1/metrics</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapEntityEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(HubPolicies.Watch);
        api.MapGet("/entities", GetEntities);
        api.MapGet("/entities/search", Search);
        api.MapGet("/entities/{id}/children", (string id, int? offset, int? limit, EntityDirectory directory) => GetChildren(id, offset, limit, directory));
        api.MapGet("/entities/{id}", GetEntity);
        api.MapGet("/metrics", (Catalog catalog) => TypedResults.Ok(catalog.Metrics));
        return app;
    }

    /// <summary>
    /// Without a query, the whole tree, as before (4.9 MB at 20,000 units: screens should not ask for it).
    /// With <c>parent</c>, one page of that entity's children; with <c>ids</c>, those entities.
    /// </summary>
    internal static IResult GetEntities(string? parent, string? ids, int? offset, int? limit, Catalog catalog, EntityDirectory directory)
    {
        if (parent is not null && ids is not null)
            return BadRequest("Give either 'parent' or 'ids', not both.", "Conflicting query");
        if (parent is not null)
            return GetChildren(parent, offset, limit, directory);
        if (ids is not null)
            return GetNamed(ids, directory);
        if (offset is not null || limit is not null)
            return BadRequest("'offset' and 'limit' page one level of the tree: give 'parent' too.", "Paging without a level");
        return GetTree(catalog);
    }

    internal static Ok<ImmutableArray<EntityNode>> GetTree(Catalog catalog) => TypedResults.Ok(catalog.Entities
        .Select(e => new EntityNode(e.Id, e.Name, e.NameEn, e.Kind, e.Role, catalog.ParentsOf(e.Id), catalog.ChildrenOf(e.Id),
            e.Metrics.IsDefault ? [] : e.Metrics, e.Map.IsDefault ? [] : e.Map))
        .ToImmutableArray());

    internal static IResult GetChildren(string id, int? offset, int? limit, EntityDirectory directory)
    {
        if (Paging(offset, limit) is { } problem)
            return problem;
        if (directory.Node(id) is not { } parent)
            return UnknownEntity(id);
        return TypedResults.Ok(directory.Children(parent, offset ?? 0, limit ?? DefaultLimit));
    }

    internal static IResult GetNamed(string ids, EntityDirectory directory)
    {
        var names = ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length is 0 or > MaxLimit)
            return BadRequest($"The query parameter 'ids' names {names.Length} entities; name between 1 and {MaxLimit}, separated by commas.", "Bad id list");
        var items = ImmutableArray.CreateBuilder<EntityLevelNode>(names.Length);
        foreach (var name in names)
        {
            if (directory.Node(name) is not { } node)
                return UnknownEntity(name);
            items.Add(node);
        }
        return TypedResults.Ok(new EntityPage(null, names.Length, 0, names.Length, items.MoveToImmutable()));
    }

    /// <summary>Entities by id or name, with or without Vietnamese diacritics ("van lam" finds "Văn Lâm").</summary>
    internal static Results<Ok<EntitySearchResult>, ProblemHttpResult> Search(string? q, int? limit, EntityDirectory directory)
    {
        if (string.IsNullOrWhiteSpace(q))
            return BadRequest("The query parameter 'q' is missing or empty; give an id or a name to look for.", "Missing query");
        if (q.Length > 200)
            return BadRequest($"The query parameter 'q' is {q.Length} characters long; at most 200 are accepted.", "Query too long");
        if (limit is < 1 or > MaxSearchLimit)
            return BadRequest($"The query parameter 'limit' is {limit}; use 1 to {MaxSearchLimit}.", "Bad limit");
        return TypedResults.Ok(directory.Search(q, limit ?? 20));
    }

    internal static async Task<Results<Ok<EntitySnapshot>, ProblemHttpResult>> GetEntity(string id, Catalog catalog, IGrainFactory grains)
    {
        if (!catalog.TryGetEntity(id, out var entity))
            return UnknownEntity(id);
        return TypedResults.Ok(await grains.For(entity).GetSnapshot());
    }

    private static ProblemHttpResult? Paging(int? offset, int? limit) =>
        offset is < 0 ? BadRequest($"The query parameter 'offset' is {offset}; it cannot be negative.", "Bad offset") :
        limit is < 1 or > MaxLimit ? BadRequest($"The query parameter 'limit' is {limit}; use 1 to {MaxLimit}.", "Bad limit") :
        null;

    private static ProblemHttpResult UnknownEntity(string id) =>
        TypedResults.Problem($"There is no entity '{id}' in the catalog.", statusCode: StatusCodes.Status404NotFound, title: "Unknown entity");

    private static ProblemHttpResult BadRequest(string detail, string title) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title);
}
