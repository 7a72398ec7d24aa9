namespace Ioc.Ingest.Mqtt;

/// <summary>
/// The hub's topics: a unit publishes to <c>ioc/{unit}</c> (a JSON body like <c>POST /api/v1/telemetry</c>)
/// or <c>ioc/{unit}/{metric}</c> (one value), and reads its refusals on <c>ioc/{unit}/errors</c>.
/// </summary>
/// <param name="Unit">The unit the topic names.</param>
/// <param name="Metric">The metric, for the one-value form; null for the JSON body form.</param>
public readonly record struct MqttTopic(string Unit, string? Metric)
{
    /// <summary>The first level of every hub topic.</summary>
    public const string Root = "ioc";

    /// <summary>Where the hub tells a unit why a message was refused.</summary>
    public const string Errors = "errors";

    /// <summary>The unit's command topic, the one other topic it may subscribe to.</summary>
    public const string Commands = "commands";

    /// <summary>The topic a unit's refusals are published on.</summary>
    public static string ErrorsOf(string unit) => $"{Root}/{unit}/{Errors}";

    /// <summary>
    /// Reads a telemetry topic; false for anything else, including the hub's own <c>errors</c> and
    /// <c>commands</c> topics, which carry no telemetry.
    /// </summary>
    public static bool TryParse(string? topic, out MqttTopic parsed)
    {
        parsed = default;
        if (topic is null) return false;
        var parts = topic.Split('/');
        if (parts.Length is < 2 or > 3 || parts[0] != Root || parts.Any(p => p.Length == 0 || p.Contains('+') || p.Contains('#')))
            return false;
        if (parts.Length == 3 && parts[2] is Errors or Commands)
            return false;
        parsed = new MqttTopic(parts[1], parts.Length == 3 ? parts[2] : null);
        return true;
    }

    /// <summary>
    /// The unit whose reply topic (<c>ioc/{unit}/errors</c> or <c>ioc/{unit}/commands</c>) a filter names
    /// exactly, or null when the filter is anything else (a wildcard, another topic).
    /// </summary>
    public static string? ReplyTopicUnit(string? filter)
    {
        var parts = filter?.Split('/');
        return parts is [Root, var unit, Errors or Commands] && unit.Length > 0 && !unit.Contains('+') && !unit.Contains('#') ? unit : null;
    }

    /// <inheritdoc/>
    public override string ToString() => Metric is null ? $"{Root}/{Unit}" : $"{Root}/{Unit}/{Metric}";
}
