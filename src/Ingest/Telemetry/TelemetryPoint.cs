namespace Ioc.Ingest.Telemetry;

/// <summary>A point accepted for ingest, with catalog-interned unit and metric ids.</summary>
public readonly record struct TelemetryPoint(string Unit, string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>Why a request's points were refused, and where.</summary>
/// <param name="Index">Index of the offending point, or -1 when the request as a whole is at fault.</param>
/// <param name="Field">The offending field, if any.</param>
/// <param name="Message">What was wrong, in words a unit's integrator can act on.</param>
public sealed record TelemetryError(int Index, string? Field, string Message)
{
    /// <summary>The error as one line: <c>points[3].value: not a finite number</c>.</summary>
    public override string ToString() => Index < 0 ? Message : Field is null ? $"points[{Index}]: {Message}" : $"points[{Index}].{Field}: {Message}";
}
