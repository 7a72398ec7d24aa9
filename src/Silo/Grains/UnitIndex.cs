using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>
/// The index a roll-up keeps of the units directly under it: each unit's newest standing and alert list,
/// by sequence and revision, with the merged answers built once per change rather than once per reader.
/// </summary>
/// <remarks>Plain state, no Orleans: the roll-up grain feeds it and asks the units it has not heard from.</remarks>
internal sealed class UnitIndex(IReadOnlyCollection<string> units)
{
    private readonly HashSet<string> _units = new(units, StringComparer.Ordinal);
    private readonly Dictionary<string, UnitStandingEntry> _standings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UnitAlerts> _alerts = new(StringComparer.Ordinal);
    private ImmutableArray<Alert>? _all;
    private ImmutableArray<Alert>? _open;
    private UnitStanding? _standing;

    /// <summary>Units whose standing this index has not heard since it was made; none, without a scan, once it has heard all.</summary>
    public IEnumerable<string> UnitsWithoutStanding => _standings.Count == _units.Count ? [] : _units.Where(u => !_standings.ContainsKey(u));

    /// <summary>Units whose alerts this index has not heard since it was made; none, without a scan, once it has heard all.</summary>
    public IEnumerable<string> UnitsWithoutAlerts => _alerts.Count == _units.Count ? [] : _units.Where(u => !_alerts.ContainsKey(u));

    /// <summary>Keeps <paramref name="entry"/> unless a newer one is kept; true when it was kept.</summary>
    public bool Take(UnitStandingEntry entry)
    {
        if (!_units.Contains(entry.Unit) || (_standings.TryGetValue(entry.Unit, out var kept) && kept.Sequence >= entry.Sequence))
            return false;
        _standings[entry.Unit] = entry;
        _standing = null;
        return true;
    }

    /// <summary>Keeps <paramref name="alerts"/> unless a newer list is kept; true when it was kept.</summary>
    public bool Take(UnitAlerts alerts)
    {
        if (!_units.Contains(alerts.Unit) || (_alerts.TryGetValue(alerts.Unit, out var kept) && kept.Revision >= alerts.Revision))
            return false;
        _alerts[alerts.Unit] = alerts;
        _all = _open = null;
        return true;
    }

    /// <summary>
    /// Takes <paramref name="units"/>, those not heard yet, as having no alerts, because their alerts grains have
    /// nothing stored: an alert they raise later reaches this index as a change, with a revision above this empty
    /// list's 0, and replaces it. So a read need not ask them.
    /// </summary>
    public void NothingStored(IEnumerable<string> units)
    {
        foreach (var unit in units)
            if (_units.Contains(unit))
                _alerts.TryAdd(unit, new UnitAlerts(unit, 0, []));
    }

    /// <summary>Every alert kept, newest first; with <paramref name="openOnly"/> only the open ones.</summary>
    public ImmutableArray<Alert> Alerts(bool openOnly)
    {
        _all ??= [.. _alerts.Values.SelectMany(a => a.Alerts).OrderByDescending(a => a.RaisedAt).ThenBy(a => a.Id, StringComparer.Ordinal)];
        return openOnly ? _open ??= [.. _all.Value.Where(a => a.IsOpen)] : _all.Value;
    }

    /// <summary>The standings of every unit heard from, in one.</summary>
    public UnitStanding Standing() => _standing ??= new UnitStanding(
        [.. _standings.Values.SelectMany(s => s.Standing.BelowTarget)],
        [.. _standings.Values.SelectMany(s => s.Standing.NotReported)]);
}
