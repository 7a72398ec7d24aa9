namespace Ioc.Tests.Ingest;

/// <summary>The development token exists only in Development.</summary>
public sealed class DevelopmentTokenTests
{
    [Fact]
    public void Outside_Development_a_configured_development_token_stops_start_up()
    {
        using var hub = new Hardening.ProductionHubFactory(new Dictionary<string, string?> { ["Ingest:DevToken"] = HubFactory.DevToken });
        Assert.Contains("Ingest:DevToken is set outside the Development environment", hub.StartUpRefusal());
    }
}
