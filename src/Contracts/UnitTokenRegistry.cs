using System.Collections.Immutable;

namespace Ioc.Contracts;

/// <summary>A unit token as an admin sees it: never its secret.</summary>
/// <param name="Id">Public id, also the first part of the token itself.</param>
/// <param name="Name">Who or what it was issued to (a unit's gateway, a Telegraf host).</param>
/// <param name="Scope">Catalog entities whose units it may write: localities, projects, departments or single units.</param>
/// <param name="CreatedAt">When it was issued.</param>
/// <param name="RevokedAt">When it was revoked; null while it works.</param>
[GenerateSerializer, Immutable]
public sealed record UnitTokenInfo(string Id, string Name, ImmutableArray<string> Scope, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>What ingest needs to check one live token: its SHA-256 hash, never the secret.</summary>
/// <param name="Id">Public id.</param>
/// <param name="Name">Who it was issued to.</param>
/// <param name="Scope">Catalog entities whose units it may write.</param>
/// <param name="SecretHash">SHA-256 of the whole token's UTF-8 bytes.</param>
[GenerateSerializer, Immutable]
public sealed record UnitTokenCredential(string Id, string Name, ImmutableArray<string> Scope, ImmutableArray<byte> SecretHash);

/// <summary>Every live token, at one version of the registry.</summary>
/// <param name="Version">Grows with every create and revoke.</param>
/// <param name="Tokens">The tokens that work.</param>
[GenerateSerializer, Immutable]
public sealed record UnitTokenTable(long Version, ImmutableArray<UnitTokenCredential> Tokens);

/// <summary>
/// The registry of unit tokens; one activation, keyed 0. It keeps hashes only: the secret is made, shown
/// once and hashed by the caller. Ingest processes cache <see cref="GetTable"/> and poll <see cref="GetVersion"/>.
/// </summary>
public interface IUnitTokenRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a token. Fails when the id is taken.</summary>
    Task<UnitTokenInfo> Create(UnitTokenCredential credential);

    /// <summary>Every token ever issued, revoked ones included, newest first.</summary>
    Task<ImmutableArray<UnitTokenInfo>> List();

    /// <summary>Revokes a token; null when there is no such token. Revoking twice keeps the first time.</summary>
    Task<UnitTokenInfo?> Revoke(string id);

    /// <summary>The current version, cheap to poll.</summary>
    Task<long> GetVersion();

    /// <summary>The live tokens.</summary>
    Task<UnitTokenTable> GetTable();
}

/// <summary>Body of <c>POST /api/v1/admin/tokens</c>.</summary>
/// <param name="Name">Who the token is for.</param>
/// <param name="Scope">Catalog entity ids whose units it may write.</param>
public sealed record CreateUnitTokenRequest(string Name, ImmutableArray<string> Scope);

/// <summary>Answer to <c>POST /api/v1/admin/tokens</c>: the only time the secret is shown.</summary>
/// <param name="Token">The token's description.</param>
/// <param name="Secret">The token to put in <c>Authorization: Token …</c>.</param>
public sealed record CreatedUnitToken(UnitTokenInfo Token, string Secret);

/// <summary>How many distinct points a unit has sent, replays not counted again.</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="PointsReceived">Distinct (metric, timestamp) pairs received.</param>
[GenerateSerializer, Immutable]
public sealed record UnitIntake(string Unit, long PointsReceived);
