using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Ioc.Contracts;

/// <summary>One indicator below its target at one unit ("low achievement").</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="UnitName">Unit's display name.</param>
/// <param name="Locality">The unit's locality id.</param>
/// <param name="LocalityName">The locality's display name.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Metric's display name.</param>
/// <param name="UnitOfMeasure">Unit of measure of value, target and gap.</param>
/// <param name="Value">The latest value.</param>
/// <param name="Target">The target in force.</param>
/// <param name="Direction">Whether the target is a floor or a ceiling.</param>
/// <param name="Gap">How far the value is from the target, always positive.</param>
/// <param name="Since">When the metric first fell below target and has stayed there since.</param>
/// <param name="Timestamp">When the latest value was measured.</param>
[GenerateSerializer, Immutable]
public sealed record LowAchievement(
    string Unit, string UnitName, string Locality, string LocalityName, string Metric, string MetricName, string UnitOfMeasure,
    double Value, double Target, TargetDirection Direction, double Gap, DateTimeOffset Since, DateTimeOffset Timestamp);

/// <summary>An indicator a unit has not reported in the current period.</summary>
/// <param name="Unit">Unit id.</param>
/// <param name="UnitName">Unit's display name.</param>
/// <param name="Locality">The unit's locality id.</param>
/// <param name="LocalityName">The locality's display name.</param>
/// <param name="Metric">Metric id.</param>
/// <param name="MetricName">Metric's display name.</param>
/// <param name="Period">Daily or monthly.</param>
/// <param name="PeriodStart">Start of the current period, in Vietnam time.</param>
/// <param name="LastReported">Timestamp of the latest value, from an earlier period, or null when never reported.</param>
[GenerateSerializer, Immutable]
public sealed record MissingReport(
    string Unit, string UnitName, string Locality, string LocalityName, string Metric, string MetricName,
    ReportingPeriodKind Period, DateTimeOffset PeriodStart, DateTimeOffset? LastReported);

/// <summary>How a unit stands on its targets and its reporting duties right now.</summary>
/// <param name="BelowTarget">Its fresh values that miss their targets.</param>
/// <param name="NotReported">Its scheduled indicators not yet reported in the current period.</param>
[GenerateSerializer, Immutable]
public sealed record UnitStanding(ImmutableArray<LowAchievement> BelowTarget, ImmutableArray<MissingReport> NotReported);
