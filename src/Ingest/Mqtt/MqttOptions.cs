using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;
using Ioc.ServiceDefaults;

namespace Ioc.Ingest.Mqtt;

/// <summary>
/// MQTT ingest (section <c>Mqtt</c>): either an embedded listener that units connect to with their unit
/// token as the password, or, with <see cref="Broker"/> set, a subscription to an external broker that
/// authenticates the units itself.
/// </summary>
public sealed class MqttOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Mqtt";

    /// <summary>Whether MQTT ingest runs at all; on by default in Development (appsettings), off elsewhere.</summary>
    public bool Enabled { get; set; }

    /// <summary>The embedded listener's TCP port (when <see cref="Broker"/> is not set).</summary>
    [Range(0, 65535)] public int Port { get; set; } = 1883;

    /// <summary>
    /// The receive maximum the embedded listener grants an MQTT 5 client in its CONNACK: how many QoS 1 messages
    /// the client may have sent and not yet had acknowledged. The listener writes one message of a connection at
    /// a time, so more in flight would only wait in the socket.
    /// </summary>
    [Range(1, 65535)] public int ReceiveMaximum { get; set; } = 16;

    /// <summary>
    /// An external broker, <c>host:port</c> or <c>mqtt://host:port</c>. When set this process runs no listener
    /// and instead takes its share of <c>ioc/#</c> from the broker.
    /// </summary>
    public string? Broker { get; set; }

    /// <summary>User name this process signs in to the broker with.</summary>
    public string? BrokerUser { get; set; }

    /// <summary>Password this process signs in to the broker with.</summary>
    public string? BrokerPassword { get; set; }

    /// <summary>
    /// The unit token the broker's messages are written with: the broker vouches for which unit sent a message
    /// (its ACL lets a unit publish only to its own topics), this token's scope bounds what the broker may
    /// write at all. In Development the development token serves when this is empty.
    /// </summary>
    public string? BrokerToken { get; set; }

    /// <summary>
    /// The client id of this process at the broker. It names the persistent session, so it must be stable
    /// across restarts and different for every Ingest process; the default is the machine name.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The shared-subscription group all Ingest processes join, so each message reaches one of them.</summary>
    public string SharedGroup { get; set; } = "ioc-ingest";

    /// <summary>How long the broker keeps this process's session, and the messages for it, while it is down.</summary>
    [TimeSpanRange("00:00:01", "365.00:00:00")] public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the same kind of refused message is logged at most; the rest are only counted.</summary>
    [TimeSpanRange("00:00:00.001", "1.00:00:00")] public TimeSpan RefusalLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Broker) && string.IsNullOrEmpty(BrokerToken) && !SectionValidation.IsDevelopment(validationContext))
            yield return new("Mqtt:Broker is set without Mqtt:BrokerToken: name the unit token the broker's messages are written with.");
    }
}
