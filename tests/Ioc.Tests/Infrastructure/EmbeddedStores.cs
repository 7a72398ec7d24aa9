using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Infrastructure;

/// <summary>The embedded store on its own, without a hub: for tests of the store and what reads and writes it.</summary>
public static class EmbeddedStores
{
    /// <summary>Opens (creating if needed) the embedded store's file in <paramref name="directory"/>.</summary>
    public static EmbeddedStore In(string directory) =>
        new(Options.Create(new StorageOptions { DataDirectory = directory }), new HostingEnvironment { ContentRootPath = directory },
            NullLogger<EmbeddedStore>.Instance);
}
