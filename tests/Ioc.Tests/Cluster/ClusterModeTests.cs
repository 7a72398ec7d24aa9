namespace Ioc.Tests.Cluster;

public sealed class ClusterModeTests
{
    private sealed class PostgresWithoutConnection : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Cluster:Mode"] = "Postgres" };
    }

    [Fact]
    public void Cluster_mode_without_a_connection_string_stops_start_up_naming_the_setting()
    {
        using var hub = new PostgresWithoutConnection();
        Assert.Contains("ConnectionStrings:Orleans", hub.StartUpRefusal());
    }

    private sealed class BadAdvertisedAddress : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Cluster:Mode"] = "Postgres",
            ["ConnectionStrings:Orleans"] = "Host=127.0.0.1;Port=1;Database=none",
            ["Cluster:AdvertisedAddress"] = "silo.ioc.svc.cluster.local",
        };
    }

    [Fact]
    public void A_silo_refuses_to_advertise_a_host_name_instead_of_its_own_IP()
    {
        using var hub = new BadAdvertisedAddress();
        Assert.Contains("Cluster:AdvertisedAddress", hub.StartUpRefusal());
    }
}
