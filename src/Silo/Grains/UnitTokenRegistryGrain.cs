using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>The registry's durable state.</summary>
[GenerateSerializer]
public sealed class UnitTokenRegistryState
{
    /// <summary>Every token issued, by id; revoked ones stay for the audit trail.</summary>
    [Id(0)] public Dictionary<string, StoredUnitToken> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Grows with every change, so that ingest processes can tell their cache is old.</summary>
    [Id(1)] public long Version { get; set; }
}

/// <summary>One issued token: its description and the hash of its secret.</summary>
[GenerateSerializer, Immutable]
public sealed record StoredUnitToken(
    [property: Id(0)] UnitTokenInfo Info,
    [property: Id(1)] ImmutableArray<byte> SecretHash);

/// <summary>Keeps unit tokens, hashed; the secret never reaches the silo.</summary>
public sealed class UnitTokenRegistryGrain(
    [PersistentState("unit-tokens", StateStorage.Name)] IPersistentState<UnitTokenRegistryState> state,
    TimeProvider time) : YieldingGrain, IUnitTokenRegistryGrain
{
    private UnitTokenTable? _table;

    public async Task<UnitTokenInfo> Create(UnitTokenCredential credential)
    {
        if (state.State.Tokens.ContainsKey(credential.Id))
            throw new ArgumentException($"A token with id '{credential.Id}' exists already.", nameof(credential));
        var info = new UnitTokenInfo(credential.Id, credential.Name, credential.Scope, time.GetUtcNow(), null);
        state.State.Tokens[credential.Id] = new StoredUnitToken(info, credential.SecretHash);
        await Changed();
        return info;
    }

    public Task<ImmutableArray<UnitTokenInfo>> List() => Task.FromResult(state.State.Tokens.Values
        .Select(t => t.Info).OrderByDescending(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal).ToImmutableArray());

    public async Task<UnitTokenInfo?> Revoke(string id)
    {
        if (!state.State.Tokens.TryGetValue(id, out var token)) return null;
        if (token.Info.RevokedAt is not null) return token.Info;
        var revoked = token with { Info = token.Info with { RevokedAt = time.GetUtcNow() } };
        state.State.Tokens[id] = revoked;
        await Changed();
        return revoked.Info;
    }

    public Task<long> GetVersion() => Task.FromResult(state.State.Version);

    public Task<UnitTokenTable> GetTable() => Task.FromResult(_table ??= new UnitTokenTable(state.State.Version, state.State.Tokens.Values
        .Where(t => t.Info.RevokedAt is null)
        .Select(t => new UnitTokenCredential(t.Info.Id, t.Info.Name, t.Info.Scope, t.SecretHash))
        .ToImmutableArray()));

    // Written before answering: a token shown to an admin, or a revocation confirmed, survives a restart.
    private async Task Changed()
    {
        state.State.Version++;
        _table = null;
        await state.WriteStateAsync();
    }
}
