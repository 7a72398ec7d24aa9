namespace Ioc.Contracts;

/// <summary>
/// The clock the hub's domain logic reads (freshness, offline detection, escalation), registered as a
/// keyed <see cref="TimeProvider"/> so that tests can move it without moving Orleans' own clock.
/// </summary>
public static class HubClock
{
    /// <summary>The service key of the hub's <see cref="TimeProvider"/>.</summary>
    public const string Key = "hub";
}
