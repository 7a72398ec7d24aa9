namespace Ioc.Domain;

/// <summary>Which side of a target counts as achieved.</summary>
public enum TargetDirection
{
    /// <summary>Achieved when the value is at least the target.</summary>
    AtLeast,
    /// <summary>Achieved when the value is at most the target.</summary>
    AtMost,
}

/// <summary>A target for a metric, such as "at least 1.0%".</summary>
public sealed record Target(TargetDirection Direction, double Value)
{
    /// <summary>Whether <paramref name="value"/> falls short of the target.</summary>
    public bool IsMissedBy(double value) => Direction == TargetDirection.AtLeast ? value < Value : value > Value;

    /// <summary>How far <paramref name="value"/> is from the target on the wrong side; zero or less when it is met.</summary>
    /// <remarks>Computed in decimal where it fits, so that 1.0 − 0.8 is 0.2 on a supervisor's list, not 0.19999999999999996.</remarks>
    public double GapTo(double value)
    {
        var (from, to) = Direction == TargetDirection.AtLeast ? (Value, value) : (value, Value);
        const double decimalRange = 7.9e27;
        return Math.Abs(from) < decimalRange && Math.Abs(to) < decimalRange ? (double)((decimal)from - (decimal)to) : from - to;
    }
}

/// <summary>Warning and critical thresholds; a breach raises an alert.</summary>
/// <param name="Direction">
/// <see cref="TargetDirection.AtMost"/> when values above a threshold breach it (PM2.5),
/// <see cref="TargetDirection.AtLeast"/> when values below breach it (camera online ratio).
/// </param>
/// <param name="Warning">The warning threshold, if any.</param>
/// <param name="Critical">The critical threshold, if any.</param>
public sealed record Thresholds(TargetDirection Direction, double? Warning, double? Critical)
{
    /// <summary>The status of <paramref name="value"/> against these thresholds alone.</summary>
    public HealthStatus Classify(double value)
    {
        bool Breaches(double? t) => t is { } limit && (Direction == TargetDirection.AtMost ? value > limit : value < limit);
        return Breaches(Critical) ? HealthStatus.Critical : Breaches(Warning) ? HealthStatus.Warning : HealthStatus.Ok;
    }

    /// <summary>
    /// The status of <paramref name="value"/> for an alert that stands at <paramref name="held"/>: a breach
    /// holds until the value is back inside its threshold by <paramref name="margin"/> (a fraction of the
    /// threshold), so that a value hovering at a threshold does not raise and clear an alert on every point.
    /// </summary>
    public HealthStatus Classify(double value, HealthStatus held, double margin)
    {
        bool Breaches(double? t, bool holding)
        {
            if (t is not { } limit) return false;
            var band = holding ? margin * Math.Abs(limit) : 0;
            return Direction == TargetDirection.AtMost ? value > limit - band : value < limit + band;
        }
        return Breaches(Critical, held >= HealthStatus.Critical) ? HealthStatus.Critical
            : Breaches(Warning, held >= HealthStatus.Warning) ? HealthStatus.Warning
            : HealthStatus.Ok;
    }

    /// <summary>What makes these thresholds unusable, in words, or null when they are fine.</summary>
    public string? Problem()
    {
        if (Warning is null && Critical is null) return "at least one of warning and critical is required";
        if (Warning is { } w && !double.IsFinite(w)) return "warning must be a finite number";
        if (Critical is { } c && !double.IsFinite(c)) return "critical must be a finite number";
        if (Warning is { } warning && Critical is { } critical && (Direction == TargetDirection.AtMost ? critical < warning : critical > warning))
            return Direction == TargetDirection.AtMost
                ? "critical must not be below warning when values above a threshold breach it"
                : "critical must not be above warning when values below a threshold breach it";
        return null;
    }
}

/// <summary>How one metric is judged for one unit: its target and thresholds once overrides apply.</summary>
/// <param name="Metric">Metric id from the catalog.</param>
/// <param name="Target">The target in force, if any.</param>
/// <param name="Thresholds">The thresholds in force, if any.</param>
public sealed record MetricRule(string Metric, Target? Target, Thresholds? Thresholds)
{
    /// <summary>The status of a fresh <paramref name="value"/>: thresholds first, then the target.</summary>
    public HealthStatus Classify(double value)
    {
        var status = Thresholds?.Classify(value) ?? HealthStatus.Ok;
        return status == HealthStatus.Ok && IsBelowTarget(value) ? HealthStatus.BelowTarget : status;
    }

    /// <summary>Whether <paramref name="value"/> misses the target ("low achievement"), whatever the thresholds say.</summary>
    public bool IsBelowTarget(double value) => Target is { } t && t.IsMissedBy(value);
}

/// <summary>The target and thresholds in force somewhere, and the entity whose override sets each (null: the catalog's).</summary>
/// <param name="Target">The target in force, if any.</param>
/// <param name="TargetFrom">The entity whose override sets the target, or null.</param>
/// <param name="Thresholds">The thresholds in force, if any.</param>
/// <param name="ThresholdsFrom">The entity whose override sets the thresholds, or null.</param>
public readonly record struct RuleInForce(Target? Target, string? TargetFrom, Thresholds? Thresholds, string? ThresholdsFrom);

/// <summary>
/// How overrides resolve along a chain of entities, most specific first: target and thresholds each come
/// from the nearest entity that overrides them, independently, and from the catalog when none does.
/// </summary>
public static class OverrideResolution
{
    /// <summary>Looks up the override set on <paramref name="entity"/>, if any.</summary>
    public delegate bool OverrideAt(string entity, out Target? target, out Thresholds? thresholds);

    /// <summary>
    /// The entities whose overrides apply at <paramref name="entity"/>, most specific first: the entity itself;
    /// for a unit then its department, its projects in catalog order and its locality; last the province,
    /// unless the entity is the province.
    /// </summary>
    /// <param name="entity">The entity the rule is wanted at.</param>
    /// <param name="department">A unit's department, if any; null for any other entity.</param>
    /// <param name="projects">A unit's projects in catalog order; empty for any other entity.</param>
    /// <param name="locality">A unit's locality; null for any other entity.</param>
    /// <param name="province">The province's id.</param>
    public static IEnumerable<string> ChainOf(string entity, string? department, IEnumerable<string> projects, string? locality, string province)
    {
        yield return entity;
        if (department is not null) yield return department;
        foreach (var project in projects) yield return project;
        if (locality is not null) yield return locality;
        if (entity != province) yield return province;
    }

    /// <summary>What is in force, given the catalog's own target and thresholds and the chain of entities whose overrides apply.</summary>
    public static RuleInForce Resolve(Target? catalogTarget, Thresholds? catalogThresholds, IEnumerable<string> chain, OverrideAt overrideAt)
    {
        var inForce = new RuleInForce(catalogTarget, null, catalogThresholds, null);
        bool targetFound = false, thresholdsFound = false;
        foreach (var id in chain)
        {
            if (!overrideAt(id, out var target, out var thresholds)) continue;
            if (!targetFound && target is not null)
                (inForce, targetFound) = (inForce with { Target = target, TargetFrom = id }, true);
            if (!thresholdsFound && thresholds is not null)
                (inForce, thresholdsFound) = (inForce with { Thresholds = thresholds, ThresholdsFrom = id }, true);
            if (targetFound && thresholdsFound) break;
        }
        return inForce;
    }
}
