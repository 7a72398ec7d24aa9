using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Ioc.Contracts;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>What a token lets its bearer write.</summary>
/// <param name="Id">The token's public id; rate limits and idempotency keys are kept per id.</param>
/// <param name="Name">Who the token was issued to, for logs and messages.</param>
/// <param name="Units">The units it may write, or null for every unit.</param>
public sealed record TokenGrant(string Id, string Name, IReadOnlySet<string>? Units)
{
    /// <summary>Whether the grant covers <paramref name="unit"/>.</summary>
    public bool Covers(string unit) => Units is null || Units.Contains(unit);
}

/// <summary>The outcome of checking an <c>Authorization</c> header.</summary>
public enum TokenCheck
{
    /// <summary>The token works; the grant says what for.</summary>
    Granted,
    /// <summary>No token, an unknown one, or a revoked one.</summary>
    Unauthorized,
    /// <summary>The token table could not be checked recently enough to trust it: answer 503.</summary>
    Unavailable,
}

/// <summary>
/// Checks <c>Authorization: Token …</c> headers against the token registry, cached in this process.
/// Secrets are kept only as SHA-256 hashes and compared in constant time. A token reads
/// <c>ioc_&lt;id&gt;_&lt;secret&gt;</c>: the id finds the entry, the hash of the whole token must match it.
/// The cache is refreshed every <see cref="IngestOptions.TokenRefreshPeriod"/> (see <see cref="UnitTokenRefresh"/>)
/// and is not trusted once older than <see cref="IngestOptions.TokenMaxStaleness"/>.
/// </summary>
public sealed class UnitTokenAuthenticator(
    IOptions<IngestOptions> options, IHostEnvironment environment, IGrainFactory grains, Catalog catalog,
    TimeProvider time, ILogger<UnitTokenAuthenticator> logger)
{
    /// <summary>How every unit token starts.</summary>
    public const string Prefix = "ioc_";

    private const int MaxTokenLength = 512;

    private readonly byte[]? _devTokenHash = environment.IsDevelopment() && !string.IsNullOrEmpty(options.Value.DevToken)
        ? Hash(options.Value.DevToken) : null;
    private readonly TokenGrant _development = new("development", "development", null);
    private readonly Lock _gate = new();
    private Task? _refresh;
    private Task? _next;
    private volatile Table? _table;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Entry(byte[] Hash, TokenGrant Grant);

    private sealed record Table(long Version, FrozenDictionary<string, Entry> Tokens, DateTimeOffset CheckedAt);

    /// <summary>The registry version of the cached table; -1 before the first load.</summary>
    public long Version => _table?.Version ?? -1;

    /// <summary>The grant behind an <c>Authorization</c> header value.</summary>
    public async ValueTask<(TokenCheck Check, TokenGrant? Grant)> Authenticate(string? authorization, CancellationToken cancellationToken)
    {
        const string scheme = "Token ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return (TokenCheck.Unauthorized, null);
        var token = authorization.AsSpan(scheme.Length).Trim();
        if (token.IsEmpty || token.Length > MaxTokenLength)
            return (TokenCheck.Unauthorized, null);
        var hash = Hash(token);
        if (_devTokenHash is not null && CryptographicOperations.FixedTimeEquals(hash, _devTokenHash))
            return (TokenCheck.Granted, _development);
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
            return (TokenCheck.Unauthorized, null);
        var rest = token[Prefix.Length..];
        var separator = rest.IndexOf('_');
        if (separator <= 0)
            return (TokenCheck.Unauthorized, null);
        var id = rest[..separator].ToString();

        var table = await Current(cancellationToken);
        if (table is null)
            return (TokenCheck.Unavailable, null);
        if (!table.Tokens.TryGetValue(id, out var entry) || !CryptographicOperations.FixedTimeEquals(hash, entry.Hash))
            return (TokenCheck.Unauthorized, null);
        return (TokenCheck.Granted, entry.Grant);
    }

    /// <summary>
    /// Asks the registry for its version and reloads the table when it changed; the round trip starts
    /// after the call, so it sees any change made before. Concurrent callers share round trips.
    /// </summary>
    public Task Refresh()
    {
        lock (_gate)
        {
            if (_refresh is not { IsCompleted: false } running)
                return _refresh = RefreshCore();
            // The round in flight may have read the registry before the caller's change: queue one more.
            return _next ??= After(running);
        }
    }

    private async Task After(Task running)
    {
        try
        {
            await running;
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "An earlier token refresh failed");
        }
        Task next;
        lock (_gate)
        {
            _next = null;
            next = _refresh = RefreshCore();
        }
        await next;
    }

    /// <summary>Completes once the cached table has reached <paramref name="version"/> of the registry.</summary>
    internal async Task WhenVersion(long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate) changed = _changed.Task;
            if (Version >= version) return;
            await changed.WaitAsync(cancellationToken);
        }
    }

    private async ValueTask<Table?> Current(CancellationToken cancellationToken)
    {
        var table = _table;
        if (table is not null && time.GetUtcNow() - table.CheckedAt <= options.Value.TokenMaxStaleness)
            return table;
        try
        {
            await Refresh().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not check unit tokens with the registry");
        }
        table = _table;
        return table is not null && time.GetUtcNow() - table.CheckedAt <= options.Value.TokenMaxStaleness ? table : null;
    }

    private async Task RefreshCore()
    {
        await Task.Yield();
        var registry = grains.GetGrain<IUnitTokenRegistryGrain>(0);
        var version = await registry.GetVersion();
        var current = _table;
        if (current is not null && current.Version == version)
        {
            _table = current with { CheckedAt = time.GetUtcNow() };
            return;
        }
        var table = await registry.GetTable();
        _table = new Table(table.Version, table.Tokens.ToFrozenDictionary(t => t.Id, ToEntry, StringComparer.Ordinal), time.GetUtcNow());
        logger.LogInformation("Unit token table at version {Version}: {Count} live tokens", table.Version, table.Tokens.Length);
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    private Entry ToEntry(UnitTokenCredential credential)
    {
        var units = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in credential.Scope)
        {
            if (catalog.TryGetEntity(id, out _))
                units.UnionWith(catalog.UnitsUnder(id));
            else
                logger.LogWarning("Token {Token} names {Entity}, which the catalog no longer has", credential.Id, id);
        }
        return new Entry([.. credential.SecretHash], new TokenGrant(credential.Id, credential.Name, units.ToFrozenSet(StringComparer.Ordinal)));
    }

    /// <summary>SHA-256 of a token's UTF-8 bytes.</summary>
    public static byte[] Hash(ReadOnlySpan<char> token)
    {
        var length = Math.Min(token.Length, MaxTokenLength);
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(length)];
        var n = Encoding.UTF8.GetBytes(token[..length], utf8);
        return SHA256.HashData(utf8[..n]);
    }

    /// <summary>A new token: its public id and the whole secret to hand out once.</summary>
    public static (string Id, string Token) NewToken()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}");
    }
}

/// <summary>Keeps <see cref="UnitTokenAuthenticator"/> fresh: checks the registry's version every <see cref="IngestOptions.TokenRefreshPeriod"/>.</summary>
public sealed class UnitTokenRefresh(UnitTokenAuthenticator tokens, IOptions<IngestOptions> options, TimeProvider time, ILogger<UnitTokenRefresh> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TokenRefreshPeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await tokens.Refresh().WaitAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not refresh unit tokens; the cached table is kept for at most {Staleness}", options.Value.TokenMaxStaleness);
            }
        }
    }
}
