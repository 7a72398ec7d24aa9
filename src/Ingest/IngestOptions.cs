using System.ComponentModel.DataAnnotations;

namespace Ioc.Ingest;

/// <summary>Settings of the telemetry endpoints (section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Ingest";

    /// <summary>
    /// A token that may write to every unit. Honoured only in the Development environment; anywhere
    /// else start-up refuses it.
    /// </summary>
    public string? DevToken { get; set; }

    /// <summary>Largest request body accepted, in bytes (413 above).</summary>
    [Range(1024, 256 * 1024 * 1024)] public long MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most points accepted in one request.</summary>
    [Range(1, 1_000_000)] public int MaxPointsPerRequest { get; set; } = 50_000;

    /// <summary>How many accepted requests may wait for the live path before new ones wait too.</summary>
    [Range(1, 1_000_000)] public int LivePathQueue { get; set; } = 4096;
}
