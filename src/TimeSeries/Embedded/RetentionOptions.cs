using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;

namespace Ioc.TimeSeries;

/// <summary>
/// How long the embedded store keeps what (section <c>Storage:Retention</c>): raw points for weeks, their
/// per-minute aggregates for a year and per-hour aggregates for years, so that its disk use is bounded by
/// the number of series rather than by how long the hub has run. Time-series servers keep their own retention.
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Storage:Retention";

    /// <summary>How long raw points are kept.</summary>
    public TimeSpan Raw { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long per-minute aggregates are kept.</summary>
    public TimeSpan Minute { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How long per-hour aggregates are kept.</summary>
    public TimeSpan Hour { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>How often expired rows are deleted.</summary>
    [TimeSpanRange("00:00:01", "1.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most rows deleted in one transaction, so that the writer never waits long behind a deletion.</summary>
    [Range(100, 1_000_000)] public int SliceRows { get; set; } = 20_000;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Expiry works in whole hours, and a replaced point's minute is recomputed from its raw points.
        if (Raw < TimeSpan.FromHours(1))
            yield return new("Storage:Retention:Raw must be at least one hour.");
        if (Minute < Raw)
            yield return new($"Storage:Retention:Minute ({Minute}) must be at least Storage:Retention:Raw ({Raw}).");
        if (Hour < Minute)
            yield return new($"Storage:Retention:Hour ({Hour}) must be at least Storage:Retention:Minute ({Minute}).");
    }
}
