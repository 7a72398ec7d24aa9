using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>How alerts escalate and how long they are kept (section <c>Alerts</c>).</summary>
public sealed class AlertOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Alerts";

    /// <summary>An alert still unacknowledged this long after it was raised escalates.</summary>
    [TimeSpanRange("00:00:01", "30.00:00:00")] public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Longest wait between escalation checks while an alert is unacknowledged. Shorter than the
    /// grain collection age, so that a unit's alerts stay active until they escalate.
    /// </summary>
    [TimeSpanRange("00:00:01", "00:10:00")] public TimeSpan EscalationCheckPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A breached threshold clears only once the value is back inside it by this fraction of the
    /// threshold (0.05: an alert raised above 50 µg/m³ clears at 47.5), so that values hovering at a
    /// threshold do not flood the wall with alerts.
    /// </summary>
    [Range(0.0, 0.5)]
    public double ClearMargin { get; set; } = 0.05;

    /// <summary>Cleared alerts are kept, with their trails, this long.</summary>
    [TimeSpanRange("01:00:00", "3650.00:00:00")] public TimeSpan ClearedRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Most cleared alerts kept per unit; the oldest go first.</summary>
    [Range(1, 100_000)]
    public int MaxClearedPerUnit { get; set; } = 200;
}
