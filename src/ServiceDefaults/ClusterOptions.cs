using System.ComponentModel.DataAnnotations;

namespace Ioc.ServiceDefaults;

/// <summary>How processes find the Orleans cluster (section <c>Cluster</c>).</summary>
public sealed class HubClusterOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Cluster";

    /// <summary>
    /// <c>Localhost</c>: one machine, no outside service (the default).
    /// Other modes are added by the cluster configuration.
    /// </summary>
    [Required] public string Mode { get; set; } = "Localhost";

    /// <summary>Orleans cluster id.</summary>
    [Required] public string ClusterId { get; set; } = "ioc-hub";

    /// <summary>Orleans service id; stable across deployments, it keys grain storage.</summary>
    [Required] public string ServiceId { get; set; } = "hung-yen-ioc";

    /// <summary>Silo-to-silo port.</summary>
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;
}
