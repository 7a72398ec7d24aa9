using System.Text;
using Ioc.Contracts;
using Orleans.Core.Internal;
using Orleans.Runtime.Placement;

namespace Ioc.Silo.Hosting;

/// <summary>
/// Which silo each unit (with its alerts) lives on after start-up in a real cluster: the one that rendezvous hashing
/// of the unit id over the active silos picks. A silo that starts takes its share: the units whose home it is are
/// activated on it, or moved to it (deactivated and activated again) if another silo activated them first.
/// Design: docs/design/cluster.md, "Every unit on one silo".
/// </summary>
/// <remarks>
/// Without it the first silo to join activates every unit in its warm-up, before the others are there, and nothing
/// ever moves them: killing that silo then moves every unit at once onto survivors that never ran their code, and
/// killing another moves none. With a share each, a kill moves about 1/n of the units and every survivor has run the
/// unit code already. Rendezvous hashing moves only the units a joining silo takes; a unit and its alerts share a key,
/// so they share a home. Roll-ups are left where they are: they keep their children's standing only in memory.
/// </remarks>
internal sealed class UnitShare(IClusterMembershipService membership, ILocalSiloDetails local)
{
    /// <summary>The silo that is <paramref name="unitId"/>'s home among the active silos; null when this silo is alone.</summary>
    public static SiloAddress? HomeOf(string unitId, IReadOnlyList<SiloAddress> silos)
    {
        if (silos.Count < 2)
            return null;
        var best = silos[0];
        var bestScore = Score(unitId, best);
        for (var i = 1; i < silos.Count; i++)
            if (Score(unitId, silos[i]) is var score && score > bestScore)
                (best, bestScore) = (silos[i], score);
        return best;
    }

    /// <summary>The active silos as this silo sees them now, this one included.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos()
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
        if (!active.Contains(local.SiloAddress))
            active.Add(local.SiloAddress);
        return active;
    }

    /// <summary>This silo's address.</summary>
    public SiloAddress Here => local.SiloAddress;

    /// <summary>
    /// Activates a unit and its alerts at <paramref name="home"/>; when that is this silo, they are deactivated first
    /// wherever they are, and the calls that follow activate them here.
    /// </summary>
    /// <remarks>
    /// A deactivation, not Orleans' migration: they write their state as they go and the next activation reads it,
    /// as after any deactivation. Migration hands the state over silo to silo instead, and with two silos joining at
    /// once on a loaded machine that hand-over hung: the units stayed deactivating for 30 s with calls to them queued,
    /// until the migration was cancelled and the joining silos' start-up failed (measured in the kill test).
    /// </remarks>
    public async Task Place(IGrainFactory grains, string unitId, SiloAddress home)
    {
        // Request context is an async local: the hint stays with this unit's calls, and the calls that arrive while
        // the old activation goes are placed by it when they are sent on.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, home);
        var unit = grains.GetGrain<IUnitGrain>(unitId);
        var alerts = grains.GetGrain<IAlertsGrain>(unitId);
        if (home.Equals(Here))
        {
            // This silo has just joined, so a unit whose home it is lives on another silo (or nowhere yet, and is
            // activated here only to go again: start-up churn, no harm).
            await unit.Cast<IGrainManagementExtension>().DeactivateOnIdle();
            await alerts.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        }
        await unit.GetSnapshot();
        await alerts.GetAlerts();
    }

    // FNV-1a over the unit id and the silo's address: the same on every silo and every run.
    private static ulong Score(string unitId, SiloAddress silo)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes($"{unitId}@{silo.ToParsableString()}"))
            hash = (hash ^ b) * 1099511628211UL;
        // FNV's low bits mix poorly for keys that differ only at the end; a final avalanche spreads them.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }
}
