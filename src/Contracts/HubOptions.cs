using System.ComponentModel.DataAnnotations;

namespace Ioc.Contracts;

/// <summary>Settings every hub process shares (section <c>Hub</c>).</summary>
public sealed class HubOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Hub";

    /// <summary>Path of the catalog file; relative paths are resolved against the application's folder.</summary>
    [Required] public string CatalogPath { get; set; } = "catalog/hung-yen.json";

    /// <summary>A unit or a value is offline or stale once silent for this many reporting intervals.</summary>
    [Range(1.0, 100.0)] public double OfflineGraceFactor { get; set; } = 2.0;

    /// <summary>How often units re-check whether they or their values have gone stale.</summary>
    [TimeSpanRange("00:00:00.010", "01:00:00")] public TimeSpan FreshnessCheckPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a unit that changed writes its latest values to grain storage.</summary>
    [TimeSpanRange("00:00:00.010", "01:00:00")] public TimeSpan StateSavePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often an active unit registers again with its targets shard. A shard lost with its silo learns its
    /// active units again within this time, and a unit that missed a change takes it up (docs/design/targets.md).
    /// </summary>
    [TimeSpanRange("00:00:00.010", "01:00:00")] public TimeSpan RulesRefreshPeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Shortest time between two reports of a locality, department, project or the province. Changes that
    /// arrive meanwhile fold into the next one. Units report at once; a roll-up over hundreds of children
    /// need not be recomputed more often than a screen can show it.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:01")] public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How long a locality, department, project or the province waits after it activates before it asks its
    /// children to send their whole state again (it may be replacing one lost with its silo). The wait lets the
    /// burst of activations that follows a silo loss pass first, so that the children's answers do not queue
    /// behind it.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:01:00")] public TimeSpan RollupResendDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Resolves <see cref="CatalogPath"/>.</summary>
    public string ResolvedCatalogPath => Path.IsPathRooted(CatalogPath) ? CatalogPath : Path.Combine(AppContext.BaseDirectory, CatalogPath);
}
