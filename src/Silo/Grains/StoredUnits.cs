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
    /// <summary>The grain state name of a unit's alerts.</summary>
    private const string Alerts = "alerts";

    /// <summary>The grain state name of a unit's own state.</summary>
    private const string Unit = "unit";

    /// <summary>
    /// The units with stored state (their own or their alerts'), or null where the storage cannot say (cluster mode):
    /// then every unit counts. <paramref name="withAlerts"/>, when the caller has read it already, saves reading it again.
    /// </summary>
    public static async Task<IReadOnlySet<string>?> Of(IServiceProvider services, IReadOnlySet<string>? withAlerts = null)
    {
        if (services.GetService<EmbeddedGrainStorage>() is not { } storage)
            return null;
        var keys = new HashSet<string>(await storage.KeysWithState(Unit), StringComparer.Ordinal);
        keys.UnionWith(withAlerts ?? await storage.KeysWithState(Alerts));
        return keys;
    }

    /// <summary>
    /// The units whose alerts grain has anything stored, or null where the storage cannot say (cluster mode). Any other
    /// unit has no alerts but those it raises from now on, and each of those reaches its indexes as a change.
    /// </summary>
    public static async Task<IReadOnlySet<string>?> WithAlerts(IServiceProvider services) =>
        services.GetService<EmbeddedGrainStorage>() is { } storage ? await storage.KeysWithState(Alerts) : null;
}
