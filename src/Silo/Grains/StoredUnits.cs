using Ioc.TimeSeries;

namespace Ioc.Silo.Grains;

/// <summary>
/// Which units have anything stored to restore (values or alerts), where the grain storage can say: the
/// embedded store of the one-command hub. A unit with nothing stored, until it first reports, is exactly what
/// its roll-ups already count for a unit they have not heard (offline, each scheduled indicator unreported),
/// so start-up and a roll-up's resend leave it inactive instead of activating it only to hear that.
/// </summary>
internal static class StoredUnits
{
    /// <summary>The grain state names whose presence means a unit has something to restore.</summary>
    private static readonly string[] States = ["unit", "alerts"];

    /// <summary>The units with stored state, or null where the storage cannot say (cluster mode): then every unit counts.</summary>
    public static async Task<IReadOnlySet<string>?> Of(IServiceProvider services)
    {
        if (services.GetService<EmbeddedGrainStorage>() is not { } storage)
            return null;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in States)
            keys.UnionWith(await storage.KeysWithState(state));
        return keys;
    }
}
