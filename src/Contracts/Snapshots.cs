using System.Collections.Immutable;

namespace Ioc.Contracts;

/// <summary>A unit's latest value of one metric and how it stands.</summary>
[GenerateSerializer, Immutable]
public sealed record MetricValue(string Metric, double Value, DateTimeOffset Timestamp, HealthStatus Status);

/// <summary>A metric rolled up over the units under an entity, by the metric's roll-up kind.</summary>
/// <param name="Metric">Metric id from the catalog.</param>
/// <param name="Value">The rolled-up value.</param>
/// <param name="Units">How many units contributed.</param>
/// <param name="Timestamp">The newest timestamp among the contributions.</param>
[GenerateSerializer, Immutable]
public sealed record RollupValue(string Metric, double Value, int Units, DateTimeOffset Timestamp);

/// <summary>How one child of an entity stands.</summary>
[GenerateSerializer, Immutable]
public sealed record ChildStatus(string Id, HealthStatus Status, DateTimeOffset? LastReport);

/// <summary>Everything the wall needs to draw one entity from scratch.</summary>
/// <param name="Id">Entity id.</param>
/// <param name="Sequence">The entity's update sequence number this snapshot reflects.</param>
/// <param name="Status">The entity's own status: a unit's worst metric, a parent's worst unit.</param>
/// <param name="LastReport">When any unit under the entity last reported.</param>
/// <param name="Metrics">A unit's latest value per metric; empty for parents.</param>
/// <param name="Rollups">A parent's roll-ups per metric; empty for units.</param>
/// <param name="Units">Units under the entity by status (a unit counts itself).</param>
/// <param name="Children">Each child's status; empty for units.</param>
/// <param name="BelowTarget">Indicators below target at the units under the entity (a unit counts its own).</param>
/// <param name="NotReported">Scheduled indicators the units under the entity have not reported this period.</param>
[GenerateSerializer, Immutable]
public sealed record EntitySnapshot(
    string Id,
    long Sequence,
    HealthStatus Status,
    DateTimeOffset? LastReport,
    ImmutableArray<MetricValue> Metrics,
    ImmutableArray<RollupValue> Rollups,
    StatusCounts Units,
    ImmutableArray<ChildStatus> Children,
    int BelowTarget = 0,
    int NotReported = 0);

/// <summary>
/// What changed on one entity. Updates are deltas: <see cref="Metrics"/>, <see cref="Rollups"/> and
/// <see cref="Children"/> hold only what changed, while status and counts are always current.
/// </summary>
/// <param name="Id">Entity id.</param>
/// <param name="FromSequence">First sequence number folded into this update.</param>
/// <param name="Sequence">Last sequence number folded into this update.</param>
/// <param name="Status">The entity's status now.</param>
/// <param name="LastReport">When any unit under the entity last reported.</param>
/// <param name="Metrics">A unit's metrics that changed.</param>
/// <param name="Rollups">A parent's roll-ups that changed; a roll-up with no units has been withdrawn.</param>
/// <param name="Units">Units under the entity by status, now.</param>
/// <param name="Children">Children whose status changed.</param>
/// <param name="BelowTarget">Indicators below target under the entity, now.</param>
/// <param name="NotReported">Scheduled indicators not reported this period under the entity, now.</param>
[GenerateSerializer, Immutable]
public sealed record EntityUpdate(
    string Id,
    long FromSequence,
    long Sequence,
    HealthStatus Status,
    DateTimeOffset? LastReport,
    ImmutableArray<MetricValue> Metrics,
    ImmutableArray<RollupValue> Rollups,
    StatusCounts Units,
    ImmutableArray<ChildStatus> Children,
    int BelowTarget = 0,
    int NotReported = 0);

/// <summary>What a child tells its parents when it changes.</summary>
/// <param name="ChildId">The child entity.</param>
/// <param name="Status">The child's own status.</param>
/// <param name="LastReport">When a unit under the child last reported.</param>
/// <param name="Units">Units under the child by status.</param>
/// <param name="Partials">The child's partials for the metrics that changed.</param>
/// <param name="BelowTarget">Indicators below target under the child.</param>
/// <param name="NotReported">Scheduled indicators not reported this period under the child.</param>
/// <param name="Standing">From a unit: its standing when it changed (or the parent asked for everything), else null.</param>
[GenerateSerializer, Immutable]
public sealed record ChildReport(
    string ChildId,
    HealthStatus Status,
    DateTimeOffset? LastReport,
    StatusCounts Units,
    ImmutableArray<MetricPartial> Partials,
    int BelowTarget = 0,
    int NotReported = 0,
    UnitStandingEntry? Standing = null);
