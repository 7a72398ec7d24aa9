using Ioc.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Ioc.Tests.Ingest;

/// <summary>The development token exists only in Development.</summary>
public sealed class DevelopmentTokenTests
{
    private sealed class ProductionHub : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = Hardening.ProductionHubFactory.SigningKey,
            ["Ingest:DevToken"] = DevToken,
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Production");
        }
    }

    [Fact]
    public void Outside_Development_a_configured_development_token_stops_start_up()
    {
        using var hub = new ProductionHub();
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Ingest:DevToken is set outside the Development environment", error.ToString());
    }
}
