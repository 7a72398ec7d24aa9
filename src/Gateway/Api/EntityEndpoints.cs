using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Gateway.Api;

/// <summary>The read API supervisors and screens drill down with.</summary>
public static class EntityEndpoints
{
    /// <summary>An entity as the tree lists it.</summary>
    public sealed record EntityNode(
        string Id, string Name, string? NameEn, EntityKind Kind, string? Role,
        ImmutableArray<string> Parents, ImmutableArray<string> Children, ImmutableArray<string> Metrics, ImmutableArray<int> Map);

    /// <summary>Maps <c>/api/v1/entities</c>, <c>/api/v1/entities/{id}</c> and <c>/api/v1/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapEntityEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(HubPolicies.Watch);
        api.MapGet("/entities", GetTree);
        api.MapGet("/entities/{id}", GetEntity);
        api.MapGet("/metrics", (Catalog catalog) => TypedResults.Ok(catalog.Metrics));
        return app;
    }

    internal static Ok<ImmutableArray<EntityNode>> GetTree(Catalog catalog) => TypedResults.Ok(catalog.Entities
        .Select(e => new EntityNode(e.Id, e.Name, e.NameEn, e.Kind, e.Role, catalog.ParentsOf(e.Id), catalog.ChildrenOf(e.Id),
            e.Metrics.IsDefault ? [] : e.Metrics, e.Map.IsDefault ? [] : e.Map))
        .ToImmutableArray());

    internal static async Task<Results<Ok<EntitySnapshot>, ProblemHttpResult>> GetEntity(string id, Catalog catalog, IGrainFactory grains)
    {
        if (!catalog.TryGetEntity(id, out var entity))
            return TypedResults.Problem($"There is no entity '{id}' in the catalog.", statusCode: StatusCodes.Status404NotFound, title: "Unknown entity");
        return TypedResults.Ok(await grains.For(entity).GetSnapshot());
    }
}
