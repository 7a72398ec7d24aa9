using System.Collections.Immutable;
using System.Globalization;

namespace Ioc.Contracts.Supervision;

/// <summary>
/// Assembles a supervision report from what was read for it: each unit's daily values of each indicator
/// from history, the targets in force and the alerts kept. It reads nothing itself.
/// </summary>
public static class SupervisionReportBuilder
{
    /// <summary>The letter's staffing indicator: at least one IT-degree official per locality and department.</summary>
    public const string ItOfficials = "it-officials";

    /// <summary>The letter's budget indicator: at least 1.0 % of the budget on digital transformation.</summary>
    public const string BudgetShare = "dt-budget-share";

    private static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    /// <summary>The indicators (catalog order) some unit under <paramref name="scope"/> reports.</summary>
    public static IReadOnlyList<MetricDefinition> IndicatorsUnder(Catalog catalog, CatalogEntity scope)
    {
        var units = catalog.UnitsUnder(scope.Id);
        return [.. catalog.Metrics.Where(m => m.Indicator && units.Any(u => catalog.Entity(u).Metrics.Contains(m.Id)))];
    }

    /// <summary>Every (unit, indicator) whose daily values the report needs.</summary>
    public static IEnumerable<(string Unit, string Metric)> SeriesNeeded(Catalog catalog, CatalogEntity scope)
    {
        var indicators = IndicatorsUnder(catalog, scope).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        return catalog.Entities
            .Where(e => e.Kind == EntityKind.Unit && catalog.UnitsUnder(scope.Id).Contains(e.Id))
            .SelectMany(u => u.Metrics.Where(indicators.Contains).Select(m => (u.Id, m)));
    }

    /// <summary>
    /// Where the daily values should start: a year before the previous period, so that "below since" can
    /// look back past the period itself.
    /// </summary>
    public static DateTimeOffset HistoryFrom(SupervisionPeriod period) => period.Previous.Start.AddYears(-1);

    /// <summary>Builds the report.</summary>
    /// <param name="catalog">The province.</param>
    /// <param name="scope">The entity reported on.</param>
    /// <param name="period">The period reported on.</param>
    /// <param name="now">When the report is made; slots after it are not yet due.</param>
    /// <param name="history">Daily values per (unit, metric), in day order, from <see cref="HistoryFrom"/> to the end of the period; absent means none.</param>
    /// <param name="targetAt">The target in force for a metric at an entity.</param>
    /// <param name="alerts">Alerts kept for the units under the scope, any period.</param>
    /// <param name="notes">What the reader should know about the sources.</param>
    public static SupervisionReport Build(
        Catalog catalog, CatalogEntity scope, SupervisionPeriod period, DateTimeOffset now,
        IReadOnlyDictionary<(string Unit, string Metric), IReadOnlyList<DatedValue>> history,
        Func<string, string, Target?> targetAt, IEnumerable<Alert> alerts, IEnumerable<string> notes)
    {
        var previous = period.Previous;
        var units = catalog.Entities.Where(e => e.Kind == EntityKind.Unit && catalog.UnitsUnder(scope.Id).Contains(e.Id)).ToList();
        IReadOnlyList<DatedValue> Series(string unit, string metric) => history.TryGetValue((unit, metric), out var s) ? s : [];
        var until = now < period.End ? now : period.End;

        var indicators = ImmutableArray.CreateBuilder<IndicatorResult>();
        var below = ImmutableArray.CreateBuilder<BelowTargetEntry>();
        foreach (var metric in IndicatorsUnder(catalog, scope))
        {
            var reporting = units.Where(u => u.Metrics.Contains(metric.Id)).ToList();
            var current = new List<(double, DateTimeOffset)>();
            var before = new List<(double, DateTimeOffset)>();
            var unitsBelow = 0;
            foreach (var unit in reporting)
            {
                var series = Series(unit.Id, metric.Id);
                if (SupervisionRules.LastIn(series, previous.Start, previous.End) is { } p) before.Add((p, previous.Start));
                if (SupervisionRules.LastIn(series, period.Start, period.End) is not { } value) continue;
                current.Add((value, period.Start));
                if (targetAt(unit.Id, metric.Id) is not { } target || !target.IsMissedBy(value)) continue;
                unitsBelow++;
                var run = SupervisionRules.BelowSince(series, target, period.End)!.Value;
                var locality = catalog.Entity(unit.Locality!);
                below.Add(new BelowTargetEntry(
                    unit.Id, unit.Name, locality.Id, locality.Name, metric.Id, metric.Name, metric.UnitOfMeasure,
                    value, target.Value, target.Direction, target.GapTo(value), run.Since, run.AtLeast, SupervisionRules.DaysBetween(run.Since, until)));
            }
            var scopeTarget = targetAt(scope.Id, metric.Id);
            var rolled = SupervisionRules.Combine(metric.Rollup, metric.Id, current);
            var rolledBefore = SupervisionRules.Combine(metric.Rollup, metric.Id, before);
            indicators.Add(new IndicatorResult(
                metric.Id, metric.Name, metric.UnitOfMeasure, metric.Rollup, scopeTarget, rolled, rolledBefore,
                SupervisionRules.Change(rolled, rolledBefore), SupervisionRules.Achieved(metric.Rollup, scopeTarget, rolled, unitsBelow),
                reporting.Count, current.Count, unitsBelow));
        }

        var compliance = ImmutableArray.CreateBuilder<UnitCompliance>();
        foreach (var unit in units)
        {
            var missing = ImmutableArray.CreateBuilder<MissingIndicator>();
            var due = 0;
            foreach (var metric in unit.Metrics.Select(catalog.Metric).Where(m => m.Indicator))
            {
                var schedule = ReportingPeriod.Of(metric.Interval);
                var series = Series(unit.Id, metric.Id);
                var slots = SupervisionRules.DueSlots(schedule, period, now);
                due += slots.Count;
                var gaps = SupervisionRules.MissingSlots(schedule, period, now, series);
                if (gaps.Count > 0)
                    missing.Add(new MissingIndicator(metric.Id, metric.Name, schedule, slots.Count, gaps.Count, gaps[0],
                        SupervisionRules.LastBefore(series, period.End)?.Day));
            }
            if (missing.Count > 0)
            {
                var locality = catalog.Entity(unit.Locality!);
                compliance.Add(new UnitCompliance(unit.Id, unit.Name, locality.Id, locality.Name, due, missing.Sum(m => m.Missing), missing.ToImmutable()));
            }
        }

        var letter = ImmutableArray.CreateBuilder<LetterStanding>();
        var letterMetrics = new[] { ItOfficials, BudgetShare }.Where(id => catalog.TryGetMetric(id, out _)).Select(catalog.Metric).ToList();
        foreach (var entity in catalog.Entities.Where(e => e.IsLocality || e.Kind == EntityKind.Department))
        {
            // A department's office sits in a locality; its officials and budget are the department's, not the locality's.
            var own = units.Where(u => entity.IsLocality ? u.Locality == entity.Id && u.Department is null : u.Department == entity.Id).ToList();
            if (own.Count == 0 || letterMetrics.Count == 0) continue;
            var standing = ImmutableArray.CreateBuilder<LetterIndicator>();
            foreach (var metric in letterMetrics)
            {
                var values = own.Where(u => u.Metrics.Contains(metric.Id))
                    .Select(u => SupervisionRules.LastIn(Series(u.Id, metric.Id), period.Start, period.End))
                    .OfType<double>().Select(v => (v, period.Start)).ToList();
                if (own.All(u => !u.Metrics.Contains(metric.Id))) continue;
                var target = targetAt(entity.Id, metric.Id);
                var value = SupervisionRules.Combine(metric.Rollup, metric.Id, values);
                bool? achieved = target is { } t && value is { } v ? !t.IsMissedBy(v) : null;
                standing.Add(new LetterIndicator(metric.Id, metric.Name, metric.UnitOfMeasure, target, value, achieved, Statement(metric, target, value, achieved)));
            }
            if (standing.Count > 0)
                letter.Add(new LetterStanding(entity.Id, entity.Name, entity.Kind, standing.ToImmutable()));
        }

        var unitIds = catalog.UnitsUnder(scope.Id);
        var raised = alerts.Where(a => unitIds.Contains(a.Entity) && period.Contains(a.RaisedAt))
            .OrderBy(a => a.RaisedAt).ThenBy(a => a.Id, StringComparer.Ordinal)
            .Select(a => new AlertEntry(a.Id, a.Entity, a.EntityName, a.Metric, a.MetricName, a.Severity, a.State, a.RaisedAt,
                a.AcknowledgedAt, a.AcknowledgedBy, a.Comment, SupervisionRules.TimeToAcknowledge(a.RaisedAt, a.AcknowledgedAt)?.TotalMinutes, a.ClearedAt))
            .ToImmutableArray();
        var waits = raised.Where(a => a.MinutesToAcknowledge is not null).Select(a => TimeSpan.FromMinutes(a.MinutesToAcknowledge!.Value)).ToList();
        var alertSection = new AlertSection(raised.Length, waits.Count, SupervisionRules.Median(waits)?.TotalMinutes,
            waits.Count == 0 ? null : waits.Max().TotalMinutes, raised);

        return new SupervisionReport(
            new ReportScope(scope.Id, scope.Name, scope.Kind), ReportPeriod.Of(period), ReportPeriod.Of(previous), now,
            indicators.ToImmutable(),
            [.. below.OrderBy(b => b.Locality, StringComparer.Ordinal).ThenBy(b => b.Unit, StringComparer.Ordinal).ThenBy(b => b.Metric, StringComparer.Ordinal)],
            compliance.ToImmutable(), letter.ToImmutable(), alertSection, [.. notes]);
    }

    /// <summary>A value as a Vietnamese reader writes it: decimal comma, percentages with at least one decimal (1,0 %).</summary>
    public static string Format(double value, string unitOfMeasure)
    {
        var number = value.ToString(unitOfMeasure == "%" ? "#,##0.0##" : "#,##0.##", Vietnamese);
        return string.IsNullOrEmpty(unitOfMeasure) ? number : $"{number} {unitOfMeasure}";
    }

    /// <summary>One plain sentence: what was reported against what the letter asks, and whether it is met.</summary>
    public static string Statement(MetricDefinition metric, Target? target, double? value, bool? achieved)
    {
        var asked = target is { } t
            ? $"yêu cầu {(t.Direction == TargetDirection.AtLeast ? "tối thiểu" : "tối đa")} {Format(t.Value, metric.UnitOfMeasure)}"
            : "không có chỉ tiêu";
        if (value is not { } v)
            return $"{metric.Name}: chưa báo cáo trong kỳ ({asked}).";
        var verdict = achieved switch { true => "đạt", false => "chưa đạt", null => "không đánh giá" };
        return $"{metric.Name}: {Format(v, metric.UnitOfMeasure)} — {verdict} ({asked}).";
    }
}
