namespace Ioc.Tests.Targets;

/// <summary>The seeded province in a test cluster, its clock on Saturday 14 March 2026 at 16:00 in Vietnam.</summary>
public sealed class TargetsClusterFixture : IAsyncLifetime
{
    /// <summary>09:00 UTC is 16:00 in Vietnam.</summary>
    public static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    public HubCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Cluster = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start);

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TargetsCluster : ICollectionFixture<TargetsClusterFixture>
{
    public const string Name = "targets cluster";
}
