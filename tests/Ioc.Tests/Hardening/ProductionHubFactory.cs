using Ioc.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ioc.Tests.Hardening;

/// <summary>The one-command hub in the Production environment: no development token, a random signing key.</summary>
public sealed class ProductionHubFactory : HubFactory
{
    /// <summary>A signing key as <c>openssl rand -base64 32</c> makes one.</summary>
    public static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:SigningKey"] = SigningKey,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}
