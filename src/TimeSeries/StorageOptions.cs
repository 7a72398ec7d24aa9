using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;

namespace Ioc.TimeSeries;

/// <summary>Where a hub process keeps its files (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Storage";

    /// <summary>
    /// The data directory: the write-ahead buffer, dead-lettered batches and the embedded store. A relative
    /// path is resolved against the content root.
    /// </summary>
    [Required] public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// The embedded store's retention. Bound on its own as <see cref="RetentionOptions"/>; declared here so that
    /// this section's strict binding knows its <c>Retention</c> keys.
    /// </summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>The data directory as an absolute path.</summary>
    public string ResolveDataDirectory(IHostEnvironment environment) =>
        Path.GetFullPath(Path.IsPathRooted(DataDirectory) ? DataDirectory : Path.Combine(environment.ContentRootPath, DataDirectory));
}
