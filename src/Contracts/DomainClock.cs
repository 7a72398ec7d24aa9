namespace Ioc.Contracts;

/// <summary>
/// The clock the hub's domain logic reads (freshness, offline detection, escalation), registered as a
/// keyed <see cref="TimeProvider"/> so that tests can move it without moving Orleans' own clock.
/// </summary>
/// <remarks>
/// Infrastructure time (pacing, retries, timeouts, process liveness, the buffer's arrival times and checkpoints)
/// comes from the process's unkeyed <see cref="TimeProvider"/>, which Orleans, Polly and ASP.NET read too. Both
/// are injected. <see cref="TimeProvider.System"/> is read directly only where a reading must go on when a test
/// holds both still: the bases of updates' sequence numbers and of alert lists' revisions, which must keep rising
/// across activations, and a roll-up's pacing; each is commented where it is read.
/// </remarks>
public static class DomainClock
{
    /// <summary>The service key of the domain's <see cref="TimeProvider"/>.</summary>
    public const string Key = "domain";
}
