using System.ComponentModel.DataAnnotations;
using System.Net;
using Ioc.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ioc.ServiceDefaults;

/// <summary>Where the Orleans cluster keeps its membership and grain state.</summary>
public enum ClusterMode
{
    /// <summary>One machine, no outside service: the one-command hub (silo, gateway and ingest in one process).</summary>
    Localhost,

    /// <summary>
    /// A real cluster: membership and grain state in PostgreSQL through the Orleans ADO.NET providers, with
    /// Silo, Gateway and Ingest as separate processes. The connection string is <c>ConnectionStrings:Orleans</c>.
    /// </summary>
    Postgres,
}

/// <summary>How processes find the Orleans cluster (section <c>Cluster</c>).</summary>
public sealed class HubClusterOptions : IValidatableObject
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Cluster";

    /// <summary>Name of the connection string (<c>ConnectionStrings:Orleans</c>) used in <see cref="ClusterMode.Postgres"/>.</summary>
    public const string ConnectionStringName = "Orleans";

    /// <summary>Where membership and grain state live; <see cref="ClusterMode.Localhost"/> by default.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Localhost;

    /// <summary>Orleans cluster id: the silos and clients of one deployment.</summary>
    [Required] public string ClusterId { get; set; } = "ioc-hub";

    /// <summary>Orleans service id; stable across deployments, it keys grain storage.</summary>
    [Required] public string ServiceId { get; set; } = "hung-yen-ioc";

    /// <summary>Silo-to-silo port.</summary>
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to.</summary>
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address a silo publishes in the membership table for other silos and clients to reach it. In Kubernetes
    /// this is the pod's own IP (<c>Cluster__AdvertisedAddress=$(POD_IP)</c>), never a Service IP: a Service
    /// balances over pods, and a silo must be reached as itself. When unset, Orleans picks a local address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The silo's name in the membership table; the pod name in Kubernetes.</summary>
    public string? SiloName { get; set; }

    /// <summary>Whether a silo applies the PostgreSQL schema (idempotently) as it starts.</summary>
    public bool ApplySchema { get; set; } = true;

    /// <summary>
    /// How long a stopping process may take to drain: a silo hands its grains over and writes their state, a
    /// client finishes its requests. Keep it shorter than the pod's termination grace period.
    /// </summary>
    [TimeSpanRange("00:00:01", "00:10:00")] public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>How often a client re-reads the list of gateways, so that it finds silos started since.</summary>
    [TimeSpanRange("00:00:01", "00:10:00")] public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a grain call waits for its answer. Orleans' default is 30 s; a call that went through a silo
    /// that has just died waits this long, and the live path waits with it, so the hub keeps it shorter.
    /// </summary>
    [TimeSpanRange("00:00:01", "00:05:00")] public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Orleans' membership timings for silos (its <c>ClusterMembershipOptions</c>, such as
    /// <c>Cluster:Membership:ProbeTimeout</c>). The silo binds them to Orleans' own options; they are listed here
    /// so that this section's strict binding knows them.
    /// </summary>
    public Dictionary<string, string?> Membership { get; set; } = [];

    /// <summary>The parsed <see cref="AdvertisedAddress"/>.</summary>
    public IPAddress? AdvertisedIPAddress => AdvertisedAddress is { Length: > 0 } a ? IPAddress.Parse(a) : null;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AdvertisedAddress is { Length: > 0 } address && !IPAddress.TryParse(address, out _))
            yield return new($"Cluster:AdvertisedAddress '{address}' is not an IP address.");
    }

    /// <summary>
    /// Binds and validates the section, sets the host's shutdown timeout, and returns the values needed while
    /// the host is still being built. Start-up stops with a message naming the bad setting.
    /// </summary>
    public static HubClusterOptions Bind(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubClusterOptions>().BindStrictly(Section).ValidateOnStart();
        // Read now, and so checked now by the same rules: the values shape the host being built.
        var cluster = builder.Configuration.GetStrictly<HubClusterOptions>(Section);
        // Not a rule of the section: the connection string lives in ConnectionStrings, where a secret puts it.
        if (cluster.Mode == ClusterMode.Postgres && string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionStringName)))
            throw new InvalidOperationException(
                $"Cluster:Mode is Postgres but ConnectionStrings:{ConnectionStringName} is not set (environment variable ConnectionStrings__{ConnectionStringName}).");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = cluster.ShutdownTimeout);
        return cluster;
    }

    /// <summary>The PostgreSQL connection string; only in <see cref="ClusterMode.Postgres"/>.</summary>
    public static string ConnectionString(IConfiguration configuration) => configuration.GetConnectionString(ConnectionStringName)!;
}
