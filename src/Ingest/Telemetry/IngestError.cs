namespace Ioc.Ingest.Telemetry;

/// <summary>How a refused request is answered.</summary>
public enum IngestErrorKind
{
    /// <summary>Malformed or meaningless input: 400.</summary>
    Invalid,
    /// <summary>A unit outside the token's scope: 403.</summary>
    Forbidden,
    /// <summary>More points than one request may carry: 413.</summary>
    TooLarge,
}

/// <summary>
/// Why a request's points were refused, and where, whatever protocol brought them: a line of line protocol,
/// or a point (and its field) of the JSON body, which MQTT messages become.
/// </summary>
/// <param name="Kind">How to answer.</param>
/// <param name="Message">What was wrong, in words a unit's integrator can act on.</param>
/// <param name="Line">1-based line number of a line protocol body, or 0.</param>
/// <param name="Index">Index of the offending JSON point, or -1.</param>
/// <param name="Field">The offending JSON field, if any.</param>
/// <remarks>With neither a line nor a point, the request as a whole is at fault.</remarks>
public sealed record IngestError(IngestErrorKind Kind, string Message, int Line = 0, int Index = -1, string? Field = null)
{
    /// <summary>A refusal of a line of line protocol.</summary>
    public static IngestError AtLine(int line, string message, IngestErrorKind kind = IngestErrorKind.Invalid) => new(kind, message, Line: line);

    /// <summary>A refusal of a JSON point, or of the whole body when <paramref name="index"/> is -1.</summary>
    public static IngestError AtPoint(int index, string? field, string message, IngestErrorKind kind = IngestErrorKind.Invalid) =>
        new(kind, message, Index: index, Field: field);

    /// <summary>The HTTP status of the answer: 400, 403 or 413.</summary>
    public int Status => Kind switch
    {
        IngestErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        IngestErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>InfluxDB's error code for the answer.</summary>
    public string Code => Kind switch
    {
        IngestErrorKind.Forbidden => "forbidden",
        IngestErrorKind.TooLarge => "request too large",
        _ => "invalid",
    };

    /// <summary>The error as one line: <c>line 3: …</c>, <c>points[3].value: …</c>, or the message alone.</summary>
    public override string ToString() =>
        Line > 0 ? $"line {Line}: {Message}"
        : Index < 0 ? Message
        : Field is null ? $"points[{Index}]: {Message}"
        : $"points[{Index}].{Field}: {Message}";
}
