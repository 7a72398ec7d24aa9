using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;
using Ioc.ServiceDefaults;

namespace Ioc.Ingest;

/// <summary>Settings of the telemetry endpoints (section <c>Ingest</c>).</summary>
public sealed class IngestOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Ingest";

    /// <summary>
    /// Longest unit or metric id looked up in the catalog, in characters. Not a setting: catalog ids are short
    /// slugs, so a longer one cannot match, and the parsers look ids up from a buffer of this size on the stack.
    /// </summary>
    public const int MaxIdLength = 128;

    /// <summary>
    /// A token that may write to every unit. Honoured only in the Development environment; anywhere
    /// else start-up refuses it.
    /// </summary>
    public string? DevToken { get; set; }

    /// <summary>Largest request body accepted, in bytes (413 above); a gzipped body is held to it once decompressed too.</summary>
    [Range(1024, 256 * 1024 * 1024)] public long MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most points accepted in one request.</summary>
    [Range(1, 1_000_000)] public int MaxPointsPerRequest { get; set; } = 50_000;

    /// <summary>
    /// Most accepted points that may wait for the live path; a request that would pass it waits (before it is
    /// answered) until the live path has taken enough, so a live path that falls behind slows the writers down
    /// instead of holding their points in memory. Counted in points, not requests: 4,096 requests of 500 points were
    /// two million points held at once. A request larger than the whole bound still passes once the queue is empty.
    /// </summary>
    [Range(1_000, 10_000_000)] public int LivePathQueuePoints { get; set; } = 100_000;

    /// <summary>
    /// Replaced by <see cref="LivePathQueuePoints"/>: it counted requests. Start-up refuses a configuration that
    /// still sets it rather than let the bound change its unit unnoticed.
    /// </summary>
    public int? LivePathQueue { get; set; }

    /// <summary>
    /// Most points one round of the live path gathers before it calls the unit grains. When the path has fallen
    /// behind, this bounds the memory a round holds and how long its calls take, so that screens see a first round
    /// of values soon rather than one huge round late.
    /// </summary>
    [Range(1_000, 10_000_000)] public int LivePathRoundPoints { get; set; } = 200_000;

    /// <summary>
    /// Shortest time between two deliveries of points to one unit. Points that arrive for a unit sooner wait in the
    /// live path and go with the next delivery, in the order received; a unit that was quiet gets its points at once.
    /// Screens are sent at most a frame per <c>Gateway:MinPushInterval</c> (25 ms), so a unit delivered to more often
    /// shows nothing more, while each delivery costs a turn of the unit, its judging and its reports up the tree.
    /// Zero delivers at every round. While deliveries wait for their turn the interval grows, up to
    /// <see cref="LiveUnitMaxInterval"/>.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:01")] public TimeSpan LiveUnitInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Longest time between two deliveries to one unit, reached while the units are slow to take their points: the
    /// interval grows from <see cref="LiveUnitInterval"/> towards this when in-process deliveries (the one-command hub,
    /// or Ingest beside a silo) wait for their turn on a busy machine (<c>DeliveryPacing</c>), and shrinks back when they
    /// do not; grain calls to other processes do not stretch it. The gateway's longest interval between two
    /// frames to a screen is 100 ms too. Equal to <see cref="LiveUnitInterval"/> (or less): a fixed interval.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:05")] public TimeSpan LiveUnitMaxInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long the live path waits for a unit grain to take its points before it sends the unit's next points
    /// in a new call. A unit answers in milliseconds; one that has not answered in a second is almost always on a
    /// silo that has just died, and waiting out the cluster's response timeout (10 s) would hold its live view
    /// that long after it has moved to a survivor.
    /// </summary>
    [TimeSpanRange("00:00:00.050", "00:05:00")] public TimeSpan LiveReportTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far ahead of the hub's clock a timestamp may be.</summary>
    [TimeSpanRange("00:00:00", "1.00:00:00")] public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How old a timestamp may be: the retention. Older points are refused.</summary>
    [TimeSpanRange("00:00:01", "36500.00:00:00")] public TimeSpan MaxPointAge { get; set; } = TimeSpan.FromDays(366);

    /// <summary>
    /// How often this process asks the token registry whether tokens changed. A revoked token stops
    /// working here within this period.
    /// </summary>
    [TimeSpanRange("00:00:00.001", "01:00:00")] public TimeSpan TokenRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a cached token table is trusted without a successful check. Past it, unit tokens get 503
    /// rather than an answer from a table that may still hold a revoked token.
    /// </summary>
    public TimeSpan TokenMaxStaleness { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>What a unit controls in a series: its own tags, and how many new series it may start.</summary>
    public TagLimits Tags { get; set; } = new();

    /// <summary>Per-token rate limit: a token bucket of points.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>How long the answer to a request with an <c>Idempotency-Key</c> is remembered.</summary>
    [TimeSpanRange("00:00:00.001", "7.00:00:00")] public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most idempotency keys remembered at once; the oldest are forgotten first.</summary>
    [Range(1, 10_000_000)] public int IdempotencyCapacity { get; set; } = 10_000;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(DevToken) && !SectionValidation.IsDevelopment(validationContext))
            yield return new("Ingest:DevToken is set outside the Development environment; a development token must never reach production.");
        if (RateLimit.PointsPerSecond > 0 && RateLimit.Burst < MaxPointsPerRequest)
            yield return new("Ingest:RateLimit:Burst must be at least Ingest:MaxPointsPerRequest, or a full request could never pass.");
        if (TokenMaxStaleness < TokenRefreshPeriod)
            yield return new("Ingest:TokenMaxStaleness must be at least Ingest:TokenRefreshPeriod.");
        if (LivePathQueue is not null)
            yield return new("Ingest:LivePathQueue counted requests and is no longer read; set Ingest:LivePathQueuePoints, the most points waiting for the live path.");
    }
}

/// <summary>
/// Limits on what a unit controls in the store's series (section <c>Ingest:Tags</c>). Each distinct set of
/// a unit's own tags is a new series in the store, so an unbounded tag is a way to blow up its series count.
/// </summary>
public sealed class TagLimits
{
    /// <summary>Longest tag key, in bytes once unescaped.</summary>
    [Range(1, 4096)] public int MaxKeyBytes { get; set; } = 64;

    /// <summary>Longest tag value, in bytes once unescaped.</summary>
    [Range(1, 65536)] public int MaxValueBytes { get; set; } = 256;

    /// <summary>Most tags on one line, the <c>unit</c> tag included.</summary>
    [Range(1, 1024)] public int MaxPerLine { get; set; } = 16;

    /// <summary>
    /// Most new series a unit may start in an hour: sets of its own tags that this ingest process has not seen
    /// from it in the past hour. Points without tags of their own never count. 0 turns the limit off.
    /// </summary>
    [Range(0, 10_000_000)] public int MaxNewSeriesPerUnitPerHour { get; set; } = 1000;
}

/// <summary>A token bucket per token, counted in points.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Points a token may write per second, sustained; 0 turns the limit off.</summary>
    [Range(0.0, 1e9)] public double PointsPerSecond { get; set; } = 20_000;

    /// <summary>Points a token may write in a burst; at least <see cref="IngestOptions.MaxPointsPerRequest"/>.</summary>
    [Range(1.0, 1e12)] public double Burst { get; set; } = 100_000;
}
