using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Ioc.Contracts;

/// <summary>
/// A unit's standing as its parents' indexes keep it, with the sequence number of the unit's update it
/// was judged with: an index keeps the entry with the highest sequence it has seen for the unit.
/// </summary>
/// <param name="Unit">The unit.</param>
/// <param name="Sequence">The unit's update sequence the standing belongs to.</param>
/// <param name="Standing">Its indicators below target and its scheduled indicators not reported.</param>
[GenerateSerializer, Immutable]
public sealed record UnitStandingEntry(string Unit, long Sequence, UnitStanding Standing);

/// <summary>
/// Every alert kept for a unit, as its parents' indexes keep it. The revision rises with every change the
/// unit's alerts make and across their reactivations, so an index keeps the newest list it has seen.
/// </summary>
/// <param name="Unit">The unit.</param>
/// <param name="Revision">Rises with every change.</param>
/// <param name="Alerts">The alerts, open and recently cleared.</param>
[GenerateSerializer, Immutable]
public sealed record UnitAlerts(string Unit, long Revision, ImmutableArray<Alert> Alerts);

/// <summary>
/// The index a locality, a department or a project keeps of the units directly under it: their open and
/// recently cleared alerts and their standings. Units and their alerts keep it up to date as they change;
/// the province is answered by merging its localities, which between them hold every unit once.
/// </summary>
public interface IScopeIndex
{
    /// <summary>A unit's alerts changed; the list replaces the one kept if its revision is newer.</summary>
    [AlwaysInterleave]
    Task AlertsChanged(UnitAlerts alerts);

    /// <summary>Every alert kept for the units under this scope, newest first; with <paramref name="openOnly"/>, only active and acknowledged ones.</summary>
    Task<ImmutableArray<Alert>> GetAlerts(bool openOnly);

    /// <summary>The newest <paramref name="most"/> of <see cref="GetAlerts"/>: what a screen shows, without the whole list.</summary>
    Task<ImmutableArray<Alert>> GetNewestAlerts(bool openOnly, int most);

    /// <summary>The indicators below target and not reported this period of every unit under this scope.</summary>
    Task<UnitStanding> GetStandings();
}
