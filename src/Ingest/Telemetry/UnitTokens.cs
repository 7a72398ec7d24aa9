using System.Security.Cryptography;
using System.Text;
using Ioc.Contracts;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>What a token lets its bearer write.</summary>
/// <param name="Name">Who the token was issued to, for logs and audit.</param>
/// <param name="Units">The units it may write, or null for every unit.</param>
public sealed record TokenGrant(string Name, IReadOnlySet<string>? Units)
{
    /// <summary>Whether the grant covers <paramref name="unit"/>.</summary>
    public bool Covers(string unit) => Units is null || Units.Contains(unit);
}

/// <summary>
/// Checks <c>Authorization: Token …</c> headers. Secrets are kept only as SHA-256 hashes and compared
/// in constant time.
/// </summary>
public sealed class UnitTokens(IOptions<IngestOptions> options, IHostEnvironment environment)
{
    private readonly byte[]? _devTokenHash = environment.IsDevelopment() && !string.IsNullOrEmpty(options.Value.DevToken)
        ? Hash(options.Value.DevToken) : null;

    /// <summary>The grant behind an <c>Authorization</c> header value, or null when it grants nothing.</summary>
    public TokenGrant? Authenticate(string? authorization)
    {
        const string scheme = "Token ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return null;
        var hash = Hash(authorization.AsSpan(scheme.Length).Trim());
        if (_devTokenHash is not null && CryptographicOperations.FixedTimeEquals(hash, _devTokenHash))
            return new TokenGrant("development", null);
        return null;
    }

    /// <summary>SHA-256 of a token's UTF-8 bytes.</summary>
    public static byte[] Hash(ReadOnlySpan<char> token)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(token.Length, 512))];
        var n = Encoding.UTF8.GetBytes(token[..Math.Min(token.Length, 512)], utf8);
        return SHA256.HashData(utf8[..n]);
    }
}
