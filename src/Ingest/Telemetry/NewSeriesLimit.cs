using Ioc.TimeSeries;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Holds each unit to <see cref="TagLimits.MaxNewSeriesPerUnitPerHour"/> new series an hour. A series is new
/// when this process has not seen the unit send that set of its own tags within the past hour; points without
/// tags of their own are one series per metric, which the catalog bounds, and are never counted. A tag whose
/// value changes with every point would otherwise make one series per point in the store.
/// </summary>
public sealed class NewSeriesLimit(IOptions<IngestOptions> options, TimeProvider time)
{
    // The setting is per hour (Ingest:Tags:MaxNewSeriesPerUnitPerHour), so the window is too.
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    // How often a unit's tag sets not seen for a window are forgotten: a sweep walks all of them, so not on every
    // request, yet often enough that a unit's memory stays near what one window holds.
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromMinutes(5);

    private sealed class UnitSeries
    {
        public readonly Dictionary<string, DateTimeOffset> LastSeen = new(StringComparer.Ordinal);
        public readonly Queue<DateTimeOffset> Started = new();
        public DateTimeOffset LastSweep;
    }

    private readonly Dictionary<string, UnitSeries> _units = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<(string Unit, string Tags)> _scratch = [];

    /// <summary>
    /// Admits the request's new series, or, when one unit would pass its limit, admits none and says which
    /// unit and how long until it may start one again.
    /// </summary>
    public (string Unit, int Started, int Limit, TimeSpan RetryAfter)? TryAdmit(IReadOnlyList<TelemetryPoint> points)
    {
        var limit = options.Value.Tags.MaxNewSeriesPerUnitPerHour;
        if (limit <= 0) return null;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            _scratch.Clear();
            string? lastUnit = null, lastTags = null;
            foreach (var p in points)
            {
                // The parser shares one tags string among a line's points, and among repeated lines.
                if (p.ExtraTags is null || (ReferenceEquals(p.ExtraTags, lastTags) && ReferenceEquals(p.Unit, lastUnit))) continue;
                (lastUnit, lastTags) = (p.Unit, p.ExtraTags);
                _scratch.Add((p.Unit, p.ExtraTags));
            }
            if (_scratch.Count == 0) return null;

            // First count, unit by unit, then record only if every unit stays within its limit.
            foreach (var group in _scratch.GroupBy(s => s.Unit, StringComparer.Ordinal))
            {
                var unit = Series(group.Key, now);
                var fresh = group.Select(g => g.Tags).Distinct(StringComparer.Ordinal)
                    .Count(tags => !unit.LastSeen.TryGetValue(tags, out var seen) || now - seen >= Window);
                if (fresh > 0 && unit.Started.Count + fresh > limit)
                {
                    var retry = unit.Started.TryPeek(out var oldest) ? oldest + Window - now : Window;
                    return (group.Key, unit.Started.Count, limit, retry > TimeSpan.Zero ? retry : TimeSpan.FromSeconds(1));
                }
            }
            foreach (var (unitId, tags) in _scratch)
            {
                var unit = _units[unitId];
                if (!unit.LastSeen.TryGetValue(tags, out var seen) || now - seen >= Window)
                    unit.Started.Enqueue(now);
                unit.LastSeen[tags] = now;
            }
            return null;
        }
    }

    private UnitSeries Series(string unitId, DateTimeOffset now)
    {
        if (!_units.TryGetValue(unitId, out var unit))
            _units[unitId] = unit = new UnitSeries { LastSweep = now };
        while (unit.Started.TryPeek(out var started) && now - started >= Window)
            unit.Started.Dequeue();
        // Forget series not seen for an hour, now and then, so memory follows what units send now.
        if (now - unit.LastSweep >= SweepPeriod)
        {
            unit.LastSweep = now;
            foreach (var (tags, seen) in unit.LastSeen)
                if (now - seen >= Window) unit.LastSeen.Remove(tags);
        }
        return unit;
    }
}
