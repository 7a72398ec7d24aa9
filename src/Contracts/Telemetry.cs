namespace Ioc.Contracts;

/// <summary>One measurement of one metric, as a unit reported it.</summary>
[GenerateSerializer, Immutable]
public readonly record struct MetricPoint(string Metric, double Value, DateTimeOffset Timestamp);
