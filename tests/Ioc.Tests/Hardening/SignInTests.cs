using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ioc.Tests.Hardening;

/// <summary>Production sign-in: a strong key, a short clock skew, and a clean stop on a bad configuration.</summary>
public sealed class SignInTests(ProductionHubFactory hub) : IClassFixture<ProductionHubFactory>
{
    [Theory]
    [InlineData("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")]
    [InlineData("passwordpasswordpasswordpassword")]
    [InlineData("short-but-random-7Gq2")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void A_key_with_less_than_256_random_bits_is_weak(string key) =>
        Assert.NotNull(SigningKeys.Weakness(key));

    [Fact]
    public void Keys_made_by_openssl_rand_in_base64_or_hex_are_strong()
    {
        for (var i = 0; i < 200; i++)
        {
            var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            Assert.Null(SigningKeys.Weakness(Convert.ToBase64String(bytes)));
            Assert.Null(SigningKeys.Weakness(Convert.ToHexString(bytes).ToLowerInvariant()));
        }
    }

    [Fact]
    public void Outside_Development_a_signing_key_of_40_identical_characters_stops_start_up_saying_why()
    {
        using var weak = new ProductionHubFactory(new Dictionary<string, string?> { ["Auth:SigningKey"] = new string('k', 40) });
        Assert.Contains("Auth:SigningKey is not random enough", weak.StartUpRefusal());
    }

    private string Token(DateTime expires)
    {
        var o = hub.Services.GetRequiredService<IOptions<HubAuthOptions>>().Value;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = o.Issuer,
            Audience = o.Audience,
            IssuedAt = expires.AddMinutes(-10),
            NotBefore = expires.AddMinutes(-10),
            Expires = expires,
            Subject = new ClaimsIdentity([new Claim("name", "skew"), new Claim(o.RoleClaim, HubRoles.Operator)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(o.SigningKey!)), SecurityAlgorithms.HmacSha256),
        });
    }

    private async Task<HttpStatusCode> Metrics(string token)
    {
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return (await client.GetAsync("/api/v1/metrics", Cancel)).StatusCode;
    }

    [Fact]
    public async Task A_token_is_honoured_30_seconds_past_its_expiry_and_no_longer()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), hub.Services.GetRequiredService<IOptions<HubAuthOptions>>().Value.ClockSkew);
        Assert.Equal(HttpStatusCode.OK, await Metrics(Token(DateTime.UtcNow.AddSeconds(-5))));
        Assert.Equal(HttpStatusCode.Unauthorized, await Metrics(Token(DateTime.UtcNow.AddSeconds(-90))));
    }

    [Theory]
    [InlineData("Auth__SigningKey", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", "Auth:SigningKey is not random enough")]
    [InlineData("Hub__CatalogPath", "no-such-catalog.json", "no-such-catalog.json' does not exist")]
    [InlineData("TimeSeries__Ur1", "http://127.0.0.1:1", "'TimeSeries' has a key that binds to nothing")]
    public async Task A_bad_configuration_ends_the_process_with_one_log_line_and_exit_code_1(string key, string value, string reason)
    {
        using var data = new TempFolder("ioc-badconfig-");
        var (exitCode, log) = await Repository.Execute("dotnet", [Path.Combine(AppContext.BaseDirectory, "Ioc.Silo.dll")], TimeSpan.FromSeconds(90),
            environment: new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                [key] = value,
                ["Storage__DataDirectory"] = data.FullName,
                ["Urls"] = $"http://127.0.0.1:{FreePort.Next()}",
                ["Cluster__SiloPort"] = FreePort.Next().ToString(),
                ["Cluster__GatewayPort"] = FreePort.Next().ToString(),
            },
            workingDirectory: AppContext.BaseDirectory, cancellationToken: Cancel);
        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{log}");
        Assert.Single(log.Split('\n'), l => l.Contains("configuration is invalid", StringComparison.Ordinal));
        Assert.Contains(reason, log);
        Assert.DoesNotContain("Unhandled exception", log);
        Assert.DoesNotContain("   at ", log);
    }
}
