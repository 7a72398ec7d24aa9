namespace Ioc.Contracts;

// The domain's value types live in Ioc.Domain, which knows nothing of Orleans. These surrogates make them
// serializable across grain calls and in grain state, Orleans' documented way for types from such an
// assembly. The field ids are those the types had when they carried [GenerateSerializer] themselves, so
// what was stored before reads back the same. Their enums need nothing: Orleans encodes an enum field as its number.

/// <summary>Orleans' wire form of <see cref="Target"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct TargetSurrogate([property: Id(0)] TargetDirection Direction, [property: Id(1)] double Value);

/// <summary>Orleans' wire form of <see cref="Thresholds"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct ThresholdsSurrogate([property: Id(0)] TargetDirection Direction, [property: Id(1)] double? Warning, [property: Id(2)] double? Critical);

/// <summary>Orleans' wire form of <see cref="MetricRule"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct MetricRuleSurrogate([property: Id(0)] string Metric, [property: Id(1)] Target? Target, [property: Id(2)] Thresholds? Thresholds);

/// <summary>Orleans' wire form of <see cref="StatusCounts"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct StatusCountsSurrogate(
    [property: Id(0)] int Ok, [property: Id(1)] int BelowTarget, [property: Id(2)] int Warning, [property: Id(3)] int Critical, [property: Id(4)] int Offline);

/// <summary>Orleans' wire form of <see cref="MetricPartial"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct MetricPartialSurrogate(
    [property: Id(0)] string Metric, [property: Id(1)] double Sum, [property: Id(2)] int Count, [property: Id(3)] double Min,
    [property: Id(4)] double Max, [property: Id(5)] double Last, [property: Id(6)] DateTimeOffset LastTimestamp);

/// <summary>Converts the domain's value types to and from their surrogates for Orleans.</summary>
[RegisterConverter]
public sealed class DomainConverters :
    IConverter<Target, TargetSurrogate>,
    IConverter<Thresholds, ThresholdsSurrogate>,
    IConverter<MetricRule, MetricRuleSurrogate>,
    IConverter<StatusCounts, StatusCountsSurrogate>,
    IConverter<MetricPartial, MetricPartialSurrogate>
{
    /// <inheritdoc/>
    public Target ConvertFromSurrogate(in TargetSurrogate surrogate) => new(surrogate.Direction, surrogate.Value);

    /// <inheritdoc/>
    public TargetSurrogate ConvertToSurrogate(in Target value) => new(value.Direction, value.Value);

    /// <inheritdoc/>
    public Thresholds ConvertFromSurrogate(in ThresholdsSurrogate surrogate) => new(surrogate.Direction, surrogate.Warning, surrogate.Critical);

    /// <inheritdoc/>
    public ThresholdsSurrogate ConvertToSurrogate(in Thresholds value) => new(value.Direction, value.Warning, value.Critical);

    /// <inheritdoc/>
    public MetricRule ConvertFromSurrogate(in MetricRuleSurrogate surrogate) => new(surrogate.Metric, surrogate.Target, surrogate.Thresholds);

    /// <inheritdoc/>
    public MetricRuleSurrogate ConvertToSurrogate(in MetricRule value) => new(value.Metric, value.Target, value.Thresholds);

    /// <inheritdoc/>
    public StatusCounts ConvertFromSurrogate(in StatusCountsSurrogate surrogate) =>
        new(surrogate.Ok, surrogate.BelowTarget, surrogate.Warning, surrogate.Critical, surrogate.Offline);

    /// <inheritdoc/>
    public StatusCountsSurrogate ConvertToSurrogate(in StatusCounts value) =>
        new(value.Ok, value.BelowTarget, value.Warning, value.Critical, value.Offline);

    /// <inheritdoc/>
    public MetricPartial ConvertFromSurrogate(in MetricPartialSurrogate surrogate) =>
        new(surrogate.Metric, surrogate.Sum, surrogate.Count, surrogate.Min, surrogate.Max, surrogate.Last, surrogate.LastTimestamp);

    /// <inheritdoc/>
    public MetricPartialSurrogate ConvertToSurrogate(in MetricPartial value) =>
        new(value.Metric, value.Sum, value.Count, value.Min, value.Max, value.Last, value.LastTimestamp);
}
