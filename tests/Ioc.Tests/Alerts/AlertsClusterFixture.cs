namespace Ioc.Tests.Alerts;

/// <summary>
/// A small district in a test cluster: air stations reporting PM2.5 every ten minutes and water gauges
/// reporting every ten seconds (offline after twenty). Alerts escalate after thirty seconds unacknowledged.
/// </summary>
public sealed class AlertsClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 3, 20, 2, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan EscalateAfter = TimeSpan.FromSeconds(30);

    public HubCluster Cluster { get; private set; } = null!;

    /// <summary>The district's catalog.</summary>
    public static Contracts.Catalog Catalog() => Contracts.Catalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes("""
        {
          "metrics": [
            {"id": "pm25", "name": "Bụi mịn PM2.5", "unitOfMeasure": "µg/m³", "interval": "00:10:00", "rollup": "Average",
             "thresholds": {"direction": "AtMost", "warning": 50, "critical": 75}},
            {"id": "water-level", "name": "Mực nước", "unitOfMeasure": "m", "interval": "00:00:10", "rollup": "Max",
             "thresholds": {"direction": "AtMost", "warning": 3.0, "critical": 4.5}}
          ],
          "entities": [
            {"id": "hung-yen", "kind": "Province", "name": "Hưng Yên"},
            {"id": "van-lam", "kind": "District", "name": "Văn Lâm"},
            {"id": "air-1", "kind": "Unit", "name": "Trạm quan trắc không khí Như Quỳnh", "locality": "van-lam", "metrics": ["pm25"]},
            {"id": "air-2", "kind": "Unit", "name": "Trạm quan trắc không khí Lạc Đạo", "locality": "van-lam", "metrics": ["pm25"]},
            {"id": "air-3", "kind": "Unit", "name": "Trạm quan trắc không khí Tân Quang", "locality": "van-lam", "metrics": ["pm25"]},
            {"id": "air-4", "kind": "Unit", "name": "Trạm quan trắc không khí Đình Dù", "locality": "van-lam", "metrics": ["pm25"]},
            {"id": "air-5", "kind": "Unit", "name": "Trạm quan trắc không khí Trưng Trắc", "locality": "van-lam", "metrics": ["pm25"]},
            {"id": "gauge-1", "kind": "Unit", "name": "Trạm đo mực nước sông Bắc Hưng Hải", "locality": "van-lam", "metrics": ["water-level"]},
            {"id": "gauge-2", "kind": "Unit", "name": "Trạm đo mực nước kênh Trần Thành Ngọ", "locality": "van-lam", "metrics": ["water-level"]},
            {"id": "gauge-3", "kind": "Unit", "name": "Trạm đo mực nước cống Lực Điền", "locality": "van-lam", "metrics": ["water-level"]}
          ]
        }
        """)));

    /// <summary>Starts the district's cluster over <paramref name="store"/>.</summary>
    public static Task<HubCluster> StartAsync(DateTimeOffset start, SharedGrainStore? store = null) =>
        HubCluster.StartAsync(Catalog(), start, store, alerts: o => o.EscalateAfter = EscalateAfter);

    public async ValueTask InitializeAsync() => Cluster = await StartAsync(Start);

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AlertsCluster : ICollectionFixture<AlertsClusterFixture>
{
    public const string Name = "alerts cluster";
}
