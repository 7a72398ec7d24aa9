namespace Ioc.Domain;

/// <summary>How a value, a unit or an entity stands against its targets and thresholds.</summary>
/// <remarks>Ordered by severity, so the worst of several is their maximum.</remarks>
public enum HealthStatus
{
    /// <summary>Within target and thresholds.</summary>
    Ok = 0,
    /// <summary>Below the metric's target ("low achievement").</summary>
    BelowTarget = 1,
    /// <summary>Past the warning threshold.</summary>
    Warning = 2,
    /// <summary>Past the critical threshold.</summary>
    Critical = 3,
    /// <summary>Silent for longer than the expected reporting interval allows, or never reported.</summary>
    Offline = 4,
}

/// <summary>How many units under an entity stand at each status.</summary>
/// <remarks>With <c>+</c> and <c>default</c> (no units) the counts form a commutative monoid, so children's counts add up in any order.</remarks>
public readonly record struct StatusCounts(int Ok, int BelowTarget, int Warning, int Critical, int Offline)
{
    /// <summary>Counts for a single unit at <paramref name="status"/>.</summary>
    public static StatusCounts Of(HealthStatus status) => status switch
    {
        HealthStatus.Ok => new(1, 0, 0, 0, 0),
        HealthStatus.BelowTarget => new(0, 1, 0, 0, 0),
        HealthStatus.Warning => new(0, 0, 1, 0, 0),
        HealthStatus.Critical => new(0, 0, 0, 1, 0),
        _ => new(0, 0, 0, 0, 1),
    };

    /// <summary>All units counted.</summary>
    public int Total => Ok + BelowTarget + Warning + Critical + Offline;

    /// <summary>The worst status that has at least one unit, or offline when there are none.</summary>
    public HealthStatus Worst =>
        Critical > 0 ? HealthStatus.Critical :
        Warning > 0 ? HealthStatus.Warning :
        BelowTarget > 0 ? HealthStatus.BelowTarget :
        Ok > 0 ? HealthStatus.Ok : HealthStatus.Offline;

    /// <summary>Adds two sets of counts.</summary>
    public static StatusCounts operator +(StatusCounts a, StatusCounts b) =>
        new(a.Ok + b.Ok, a.BelowTarget + b.BelowTarget, a.Warning + b.Warning, a.Critical + b.Critical, a.Offline + b.Offline);
}
