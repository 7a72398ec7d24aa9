namespace Ioc.Ingest.Telemetry;

/// <summary>A point accepted for ingest, with catalog-interned unit and metric ids.</summary>
/// <param name="Unit">Unit id from the catalog.</param>
/// <param name="Metric">Metric id from the catalog.</param>
/// <param name="Value">A finite value.</param>
/// <param name="Timestamp">When it was measured; server time when the unit gave none.</param>
/// <param name="ExtraTags">
/// Tags the unit sent beyond those the hub derives from the catalog, already escaped as line protocol
/// (<c>site=gate\ 2,lane=1</c>), sorted by key; shared by all the fields of one line, so it costs nothing per field.
/// </param>
public readonly record struct TelemetryPoint(string Unit, string Metric, double Value, DateTimeOffset Timestamp, string? ExtraTags = null);

/// <summary>What became of a request handed to the ingest path.</summary>
public enum IngestOutcome
{
    /// <summary>Taken, and as safe as the configured durability promises.</summary>
    Accepted,
    /// <summary>Not taken: the hub cannot keep more right now. Answer 503 with <c>Retry-After</c>.</summary>
    Overloaded,
}

/// <summary>Why a request's points were refused, and where.</summary>
/// <param name="Index">Index of the offending point, or -1 when the request as a whole is at fault.</param>
/// <param name="Field">The offending field, if any.</param>
/// <param name="Message">What was wrong, in words a unit's integrator can act on.</param>
/// <param name="TooLarge">Whether the request carries more points than allowed (413 rather than 400).</param>
public sealed record TelemetryError(int Index, string? Field, string Message, bool TooLarge = false)
{
    /// <summary>The error as one line: <c>points[3].value: not a finite number</c>.</summary>
    public override string ToString() => Index < 0 ? Message : Field is null ? $"points[{Index}]: {Message}" : $"points[{Index}].{Field}: {Message}";
}

/// <summary>Which timestamps the hub takes: not too far ahead of its clock, not older than retention.</summary>
public static class TimestampWindow
{
    /// <summary>An error naming the timestamp when it lies outside the window, else null.</summary>
    public static string? Check(DateTimeOffset timestamp, DateTimeOffset now, TimeSpan maxFutureSkew, TimeSpan maxAge)
    {
        if (timestamp - now > maxFutureSkew)
            return $"timestamp {timestamp:O} is more than {maxFutureSkew} ahead of the hub's clock ({now:O})";
        if (now - timestamp > maxAge)
            return $"timestamp {timestamp:O} is older than the retention of {maxAge.TotalDays:0.##} days";
        return null;
    }
}
