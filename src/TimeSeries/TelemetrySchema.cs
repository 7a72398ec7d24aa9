using System.Collections.Immutable;

namespace Ioc.TimeSeries;

/// <summary>
/// How points are laid out in the time-series store; <c>docs/schema.md</c> describes it for people
/// who query the store directly.
/// </summary>
public static class TelemetrySchema
{
    /// <summary>The one measurement every point is written to; each catalog metric is a field of it.</summary>
    public const string Measurement = "telemetry";

    /// <summary>Tag naming the unit that reported the point.</summary>
    public const string UnitTag = "unit";

    /// <summary>Tag naming the unit's locality (city, town or district).</summary>
    public const string LocalityTag = "locality";

    /// <summary>Tag naming the unit's department, when it has one.</summary>
    public const string DepartmentTag = "department";

    /// <summary>Tag listing the unit's projects as <c>;a;b;</c>, sorted, so that <c>=~".*;a;.*"</c> selects project a.</summary>
    public const string ProjectsTag = "projects";

    /// <summary>Tag keys the hub derives from the catalog; a unit's own tags may not use them.</summary>
    public static readonly ImmutableArray<string> DerivedTags = [DepartmentTag, LocalityTag, ProjectsTag, UnitTag];

    /// <summary>The value of the projects tag for a unit in <paramref name="projects"/>, or null when in none.</summary>
    public static string? ProjectsValue(ImmutableArray<string> projects) =>
        projects.IsDefaultOrEmpty ? null : ";" + string.Join(';', projects.Order(StringComparer.Ordinal)) + ";";

    /// <summary>
    /// The series name VictoriaMetrics derives from line protocol: <c>{measurement}_{field}</c>, such as
    /// <c>telemetry_pm25</c>.
    /// </summary>
    public static string VictoriaMetricsName(string metric) => Measurement + "_" + metric;
}
