using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text;
using Ioc.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ioc.ServiceDefaults;

/// <summary>The roles people sign in with. Units do not sign in; they write with unit tokens.</summary>
public static class HubRoles
{
    /// <summary>Watches live screens, read-only.</summary>
    public const string Operator = "operator";
    /// <summary>Drills down, reads history, acknowledges alerts, exports.</summary>
    public const string Supervisor = "supervisor";
    /// <summary>Changes the catalog, targets and tokens.</summary>
    public const string Admin = "admin";

    /// <summary>Every role a person can hold.</summary>
    public static readonly string[] All = [Operator, Supervisor, Admin];
}

/// <summary>Authorization policies, each the set of roles that may use a family of endpoints.</summary>
public static class HubPolicies
{
    /// <summary>Live screens and snapshots: operators, supervisors and admins.</summary>
    public const string Watch = "watch";
    /// <summary>History, drill-down, acknowledgement, export: supervisors and admins.</summary>
    public const string Supervise = "supervise";
    /// <summary>Catalog, targets and tokens: admins.</summary>
    public const string Administer = "administer";
}

/// <summary>How people's bearer tokens are checked (section <c>Auth</c>).</summary>
public sealed class HubAuthOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Auth";

    /// <summary>OpenID Connect authority whose signing keys validate tokens. When unset, <see cref="SigningKey"/> is used.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected audience.</summary>
    [Required] public string Audience { get; set; } = "ioc-hub";

    /// <summary>Issuer of locally signed tokens.</summary>
    [Required] public string Issuer { get; set; } = "ioc-hub";

    /// <summary>
    /// Symmetric key (at least 32 characters) for locally signed tokens: the development tokens, or a
    /// deployment without an identity provider. Kept in a secret outside Development.
    /// </summary>
    [MinLength(32)] public string? SigningKey { get; set; }

    /// <summary>Claim that carries roles.</summary>
    [Required] public string RoleClaim { get; set; } = "role";

    /// <summary>
    /// How far a token's expiry and not-before may be off the hub's clock. The library's default of 5 minutes
    /// keeps a stolen token working for 5 minutes past its expiry; clocks synchronised by NTP need far less.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:05:00")] public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Authority is null && SigningKey is null)
            yield return new("Auth needs an Authority (OpenID Connect) or a SigningKey.");
        // Development keeps its well-known key; anywhere else a guessable key lets anyone sign in as an admin.
        if (SigningKey is { } key && !SectionValidation.IsDevelopment(validationContext) && SigningKeys.Weakness(key) is { } weakness)
            yield return new(weakness);
    }
}

/// <summary>Whether a symmetric signing key is strong enough to sign people's tokens outside Development.</summary>
public static class SigningKeys
{
    /// <summary>Bits a key must hold: HMAC-SHA256's own size.</summary>
    public const int RequiredBits = 256;

    /// <summary>
    /// Null when <paramref name="key"/> is strong enough, else why not. A key written as base64 (as
    /// <c>openssl rand -base64 32</c> makes one) or hex counts its decoded bytes; any other text its UTF-8
    /// bytes. It must have at least 256 bits, and must not be plainly repetitive: a measured entropy (the
    /// characters' Shannon entropy times the length) of less than half its size means few distinct
    /// characters, such as 40 identical ones, which no random key has.
    /// </summary>
    public static string? Weakness(string key)
    {
        var bytes = Decoded(key);
        if (bytes.Length * 8 < RequiredBits)
            return $"Auth:SigningKey holds {bytes.Length * 8} bits; at least {RequiredBits} are required. Make one with: openssl rand -base64 32";
        var measured = MeasuredBits(key);
        if (measured < RequiredBits / 2.0)
            return $"Auth:SigningKey is not random enough (about {measured:0} bits of entropy measured, from {key.Distinct().Count()} distinct characters); "
                + $"use {RequiredBits} random bits. Make one with: openssl rand -base64 32";
        return null;
    }

    private static byte[] Decoded(string key)
    {
        var buffer = new byte[key.Length];
        if (key.Length % 4 == 0 && Convert.TryFromBase64String(key, buffer, out var n) && n * 8 >= RequiredBits)
            return buffer[..n];
        if (key.Length % 2 == 0 && key.All(Uri.IsHexDigit))
            return Convert.FromHexString(key);
        return Encoding.UTF8.GetBytes(key);
    }

    private static double MeasuredBits(string key) =>
        key.GroupBy(c => c).Sum(g =>
        {
            var p = (double)g.Count() / key.Length;
            return -p * Math.Log2(p);
        }) * key.Length;
}

/// <summary>Wires JWT bearer authentication and the role policies.</summary>
public static class AuthenticationExtensions
{
    /// <summary>Adds JWT bearer authentication (from an OIDC authority or a local signing key) and <see cref="HubPolicies"/>.</summary>
    public static IHostApplicationBuilder AddHubAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubAuthOptions>().BindStrictly(HubAuthOptions.Section).ValidateOnStart();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<HubAuthOptions>>((jwt, auth) =>
            {
                var o = auth.Value;
                jwt.MapInboundClaims = false;
                jwt.Authority = o.Authority;
                jwt.Audience = o.Audience;
                jwt.RequireHttpsMetadata = o.Authority?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ?? false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidAudience = o.Audience,
                    ValidIssuer = o.Authority is null ? o.Issuer : null,
                    ValidateIssuer = o.Authority is null,
                    IssuerSigningKey = o.SigningKey is null ? null : SigningKeyOf(o.SigningKey),
                    RoleClaimType = o.RoleClaim,
                    ClockSkew = o.ClockSkew,
                    NameClaimType = "name",
                };
                // Browsers cannot set headers on WebSockets, so the hub also takes the token from the query.
                jwt.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        if (context.HttpContext.Request.Path.StartsWithSegments("/hubs")
                            && context.Request.Query["access_token"] is { Count: > 0 } token)
                            context.Token = token;
                        return Task.CompletedTask;
                    },
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(HubPolicies.Watch, p => p.RequireRole(HubRoles.Operator, HubRoles.Supervisor, HubRoles.Admin))
            .AddPolicy(HubPolicies.Supervise, p => p.RequireRole(HubRoles.Supervisor, HubRoles.Admin))
            .AddPolicy(HubPolicies.Administer, p => p.RequireRole(HubRoles.Admin));
        return builder;
    }

    internal static SymmetricSecurityKey SigningKeyOf(string key) => new(Encoding.UTF8.GetBytes(key));
}

/// <summary>Signs bearer tokens with the local key: development tokens, tests, and the command-line tool.</summary>
public static class DevTokens
{
    /// <summary>A signed token for <paramref name="name"/> holding <paramref name="role"/>.</summary>
    public static string Issue(HubAuthOptions options, string role, string name, TimeSpan lifetime)
    {
        if (options.SigningKey is null)
            throw new InvalidOperationException("Auth:SigningKey is not set; tokens come from the identity provider.");
        // Real time, not an injected clock: the bearer handler checks a token's times against the system clock,
        // and hubctl issues tokens with no host around it.
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity([new Claim("name", name), new Claim("sub", name), new Claim(options.RoleClaim, role)]),
            SigningCredentials = new SigningCredentials(AuthenticationExtensions.SigningKeyOf(options.SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
