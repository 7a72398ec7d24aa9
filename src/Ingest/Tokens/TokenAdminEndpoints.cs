using System.Collections.Immutable;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Ioc.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ioc.Ingest.Tokens;

/// <summary>Admins issue, list and revoke unit tokens.</summary>
public static class TokenAdminEndpoints
{
    /// <summary>Maps <c>/api/v1/admin/tokens</c>: POST creates (the only answer that shows the secret), GET lists, DELETE revokes.</summary>
    public static IEndpointRouteBuilder MapTokenAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/v1/admin/tokens").RequireAuthorization(HubPolicies.Administer);
        tokens.MapPost("/", Create).DisableAntiforgery();
        tokens.MapGet("/", List);
        tokens.MapDelete("/{id}", Revoke);
        return app;
    }

    internal static async Task<Results<Created<CreatedUnitToken>, ProblemHttpResult>> Create(
        CreateUnitTokenRequest request, Catalog catalog, IGrainFactory grains, UnitTokenAuthenticator tokens, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            return Invalid("name", "A token needs a name of 1 to 100 characters saying who it is for.");
        var scope = request.Scope.IsDefault ? [] : request.Scope;
        if (scope.IsEmpty)
            return Invalid("scope", "A token needs a scope: one or more localities, projects, departments or units.");
        foreach (var id in scope)
        {
            if (id is null || !catalog.TryGetEntity(id, out _))
                return Invalid("scope", $"'{id}' is not in the catalog.");
        }
        var (tokenId, secret) = UnitTokenAuthenticator.NewToken();
        var credential = new UnitTokenCredential(tokenId, request.Name.Trim(), [.. scope.Distinct(StringComparer.Ordinal)],
            [.. UnitTokenAuthenticator.Hash(secret)]);
        var info = await grains.GetGrain<IUnitTokenRegistryGrain>(0).Create(credential);
        // This process knows at once; others within their refresh period.
        await tokens.Refresh().WaitAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/admin/tokens/{info.Id}", new CreatedUnitToken(info, secret));
    }

    internal static async Task<Ok<ImmutableArray<UnitTokenInfo>>> List(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IUnitTokenRegistryGrain>(0).List());

    internal static async Task<Results<Ok<UnitTokenInfo>, ProblemHttpResult>> Revoke(
        string id, IGrainFactory grains, UnitTokenAuthenticator tokens, CancellationToken cancellationToken)
    {
        var info = await grains.GetGrain<IUnitTokenRegistryGrain>(0).Revoke(id);
        if (info is null)
            return TypedResults.Problem($"There is no token '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown token");
        await tokens.Refresh().WaitAsync(cancellationToken);
        return TypedResults.Ok(info);
    }

    private static ProblemHttpResult Invalid(string field, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid token request",
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
