using System.Collections.Immutable;

namespace Ioc.Contracts;

/// <summary>One measurement of one metric, as a unit reported it.</summary>
[GenerateSerializer, Immutable]
public readonly record struct MetricPoint(string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>The points of one request that belong to one unit.</summary>
[GenerateSerializer, Immutable]
public sealed record UnitReport(string UnitId, ImmutableArray<MetricPoint> Points);
