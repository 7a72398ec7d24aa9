using Microsoft.AspNetCore.Hosting;

namespace Ioc.Tests.Hardening;

/// <summary>The one-command hub in the Production environment: no development token, a random signing key.</summary>
public sealed class ProductionHubFactory : HubFactory
{
    private readonly IReadOnlyDictionary<string, string?> _overrides;

    /// <summary>A signing key as <c>openssl rand -base64 32</c> makes one.</summary>
    public static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public ProductionHubFactory()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <summary>The same hub with <paramref name="overrides"/> on top of its settings, for a start-up that must fail.</summary>
    internal ProductionHubFactory(IReadOnlyDictionary<string, string?> overrides) => _overrides = overrides;

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?> { ["Auth:SigningKey"] = SigningKey };
            foreach (var (key, value) in _overrides) settings[key] = value;
            return settings;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
    }
}
