using Ioc.TimeSeries;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// What the points of one request are held to, whatever protocol brought them (JSON, line protocol, or MQTT
/// through the JSON handler): the token's scope, the time window and the limits of <see cref="IngestOptions"/>.
/// This is the one place they are checked. The parsers call it so that an error can name its line or point: line
/// protocol line by line, JSON once the whole body has parsed (a malformed body is a 400 before any 403). Each
/// check answers null when the input passes, and allocates only when it does not.
/// </summary>
/// <param name="Now">The hub's time for this request, given to points without a timestamp.</param>
/// <param name="Grant">What the writer's token covers.</param>
/// <param name="Limits">The limits in force.</param>
public readonly record struct IngestRules(DateTimeOffset Now, TokenGrant Grant, IngestOptions Limits)
{
    /// <summary>Most points in one request.</summary>
    public int MaxPoints => Limits.MaxPointsPerRequest;

    /// <summary>Whether a request that holds <paramref name="count"/> points may take one more.</summary>
    public bool HasRoomAfter(int count) => count < Limits.MaxPointsPerRequest;

    /// <summary>Why the token may not write to <paramref name="unit"/>, or null when it may.</summary>
    public string? OutsideScope(string unit) => Grant.Covers(unit) ? null : $"the token '{Grant.Name}' may not write to unit '{unit}'";

    /// <summary>Why <paramref name="timestamp"/> is refused (too far ahead of the hub's clock, or older than the retention), or null.</summary>
    public string? OutsideWindow(DateTimeOffset timestamp)
    {
        if (timestamp - Now > Limits.MaxFutureSkew)
            return $"timestamp {timestamp:O} is more than {Limits.MaxFutureSkew} ahead of the hub's clock ({Now:O})";
        if (Now - timestamp > Limits.MaxPointAge)
            return $"timestamp {timestamp:O} is older than the retention of {Limits.MaxPointAge.TotalDays:0.##} days";
        return null;
    }

    /// <summary>Why a line with <paramref name="count"/> tags, the unit tag included, is refused, or null.</summary>
    public string? TooManyTags(int count) => count <= Limits.Tags.MaxPerLine ? null
        : $"the line has {count} tags; at most {Limits.Tags.MaxPerLine} are accepted (Ingest:Tags:MaxPerLine), the unit tag included";

    /// <summary>Why a tag, unescaped, is refused (too long, or holding a control character), or null.</summary>
    public string? BadTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var limits = Limits.Tags;
        if (key.Length > limits.MaxKeyBytes)
            return $"tag key '{Escaping.Display(key)}' is {key.Length} bytes long; at most {limits.MaxKeyBytes} are accepted (Ingest:Tags:MaxKeyBytes)";
        // The value is not echoed: it may be anything, and it is long.
        if (value.Length > limits.MaxValueBytes)
            return $"the value of tag '{Escaping.Display(key)}' is {value.Length} bytes long; at most {limits.MaxValueBytes} are accepted (Ingest:Tags:MaxValueBytes)";
        if (HasControl(key) || HasControl(value))
            return $"tag '{Escaping.Display(key)}' holds a control character; tag keys and values are printable text";
        return null;
    }

    /// <summary>Why a measurement is refused (a control character), or null; the body it came in was checked for UTF-8 whole.</summary>
    public static string? BadMeasurement(ReadOnlySpan<byte> measurement)
    {
        // Not checked for UTF-8 here: the line-protocol parser refuses a body that is not, before it reads a line.
        if (HasControl(measurement))
            return $"the measurement '{Escaping.Display(measurement)}' holds a control character; names are printable text";
        return null;
    }

    /// <summary>
    /// Whether <paramref name="text"/> holds a C0 control (NUL, tab, …), DEL, or a C1 control (U+0080 to U+009F,
    /// which UTF-8 writes as C2 80 to C2 9F). None has a place in a name, and some end strings in other tools.
    /// </summary>
    internal static bool HasControl(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || text.Contains((byte)0x7F)) return true;
        for (var at = text.IndexOf((byte)0xC2); at >= 0 && at + 1 < text.Length; )
        {
            if (text[at + 1] is >= 0x80 and <= 0x9F) return true;
            var next = text[(at + 1)..].IndexOf((byte)0xC2);
            if (next < 0) break;
            at += 1 + next;
        }
        return false;
    }
}
