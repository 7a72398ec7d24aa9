namespace Ioc.Domain;

/// <summary>How a unit's latest values are judged once staleness is known: what they show, count and contribute.</summary>
public static class Judging
{
    /// <summary>The status a unit's value shows: offline once stale, else as its rule classifies it.</summary>
    public static HealthStatus StatusOf(MetricRule rule, double value, bool stale) => stale ? HealthStatus.Offline : rule.Classify(value);

    /// <summary>Whether a value is "low achievement": judged on fresh values only, as the status is.</summary>
    public static bool IsLowAchievement(MetricRule rule, double value, bool stale) => !stale && rule.IsBelowTarget(value);

    /// <summary>Whether a value counts in the parents' roll-ups: only a fresh value of a unit that is not offline.</summary>
    public static bool Contributes(HealthStatus unitStatus, bool stale) => unitStatus != HealthStatus.Offline && !stale;

    /// <summary>The worse of two statuses; a unit that is online stands at the worst of its fresh values, ok when it has none.</summary>
    public static HealthStatus Worse(HealthStatus a, HealthStatus b) => a >= b ? a : b;
}
