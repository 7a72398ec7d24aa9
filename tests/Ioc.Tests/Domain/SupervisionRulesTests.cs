using CsCheck;
using Ioc.Contracts.Supervision;

namespace Ioc.Tests.Domain;

/// <summary>The report's rules on values already read: the period's value, "below since", compliance counting, the letter's sentences.</summary>
public sealed class SupervisionRulesTests
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);
    private static readonly Target AtLeastOnePercent = new(TargetDirection.AtLeast, 1.0);

    private static DateTimeOffset Day(int year, int month, int day) => new(year, month, day, 0, 0, 0, Vietnam);

    private static SupervisionPeriod Period(string text) => SupervisionPeriod.TryParse(text, out var p) ? p : throw new ArgumentException(text);

    [Fact]
    public void The_value_for_a_period_is_the_last_reported_in_it_and_none_when_nothing_was()
    {
        DatedValue[] values = [new(Day(2026, 9, 30), 0.5), new(Day(2026, 10, 3), 0.8), new(Day(2026, 10, 31), 0.87), new(Day(2026, 11, 1), 1.2)];
        var october = Period("2026-10");
        Assert.Equal(0.87, SupervisionRules.LastIn(values, october.Start, october.End));
        Assert.Equal(0.5, SupervisionRules.LastIn(values, october.Previous.Start, october.Previous.End));
        Assert.Null(SupervisionRules.LastIn(values, Period("2026-08").Start, Period("2026-08").End));
        Assert.Equal(new DatedValue(Day(2026, 10, 31), 0.87), SupervisionRules.LastBefore(values, october.End));
    }

    [Fact]
    public void Below_since_is_the_first_value_of_the_unbroken_run_below_target_that_ends_the_period()
    {
        DatedValue[] values =
        [
            new(Day(2026, 6, 5), 0.4), new(Day(2026, 7, 5), 1.2), new(Day(2026, 8, 5), 0.5),
            new(Day(2026, 9, 5), 0.9), new(Day(2026, 10, 5), 0.87), new(Day(2026, 11, 5), 1.5),
        ];
        // Days without a value between monthly reports do not break the run; a later value does not count.
        Assert.Equal(new BelowRun(Day(2026, 8, 5), false), SupervisionRules.BelowSince(values, AtLeastOnePercent, Period("2026-10").End));
        Assert.Null(SupervisionRules.BelowSince(values, AtLeastOnePercent, Period("2026-11").End));
        Assert.Equal(new BelowRun(Day(2026, 6, 5), true), SupervisionRules.BelowSince(values, AtLeastOnePercent, Period("2026-06").End));
        Assert.Null(SupervisionRules.BelowSince([], AtLeastOnePercent, Period("2026-06").End));
        Assert.Equal(92, SupervisionRules.DaysBetween(Day(2026, 8, 5), Day(2026, 11, 5)));
    }

    [Fact]
    public void Below_since_never_lies_after_the_last_value_and_every_value_from_it_misses_the_target()
    {
        var gen = Gen.Double[0, 2].Array[0, 40];
        gen.Sample(raw =>
        {
            var values = raw.Select((v, i) => new DatedValue(Day(2026, 1, 1).AddDays(i * 3), Math.Round(v, 1))).ToArray();
            var end = Day(2027, 1, 1);
            var run = SupervisionRules.BelowSince(values, AtLeastOnePercent, end);
            if (run is not { } r)
                return values.Length == 0 || values[^1].Value >= 1.0;
            var from = values.Where(v => v.Day >= r.Since).ToList();
            var before = values.Where(v => v.Day < r.Since).ToList();
            return from.Count > 0 && from.All(v => v.Value < 1.0)
                && (r.AtLeast ? before.Count == 0 : before.Count > 0 && before[^1].Value >= 1.0);
        });
    }

    [Fact]
    public void Only_days_and_months_that_have_ended_are_due_and_a_day_with_a_value_is_not_missing()
    {
        var november = Period("2026-11");
        var now = new DateTimeOffset(2026, 11, 10, 9, 0, 0, Vietnam);
        Assert.Equal(9, SupervisionRules.DueSlots(ReportingPeriodKind.Daily, november, now).Count);
        Assert.Empty(SupervisionRules.DueSlots(ReportingPeriodKind.Monthly, november, now));
        Assert.Equal(30, SupervisionRules.DueSlots(ReportingPeriodKind.Daily, november, Day(2027, 1, 1)).Count);
        Assert.Equal(3, SupervisionRules.DueSlots(ReportingPeriodKind.Monthly, Period("2026-Q4"), Day(2027, 1, 1)).Count);
        Assert.Equal(365, SupervisionRules.DueSlots(ReportingPeriodKind.Daily, Period("2026"), Day(2027, 1, 1)).Count);

        DatedValue[] daily = [new(Day(2026, 11, 1), 40), new(Day(2026, 11, 2), 41), new(Day(2026, 11, 4), 42), new(Day(2026, 10, 31), 39)];
        Assert.Equal([Day(2026, 11, 3), Day(2026, 11, 5), Day(2026, 11, 6), Day(2026, 11, 7), Day(2026, 11, 8), Day(2026, 11, 9)],
            SupervisionRules.MissingSlots(ReportingPeriodKind.Daily, november, now, daily));
        DatedValue[] monthly = [new(Day(2026, 10, 20), 1.1), new(Day(2026, 12, 2), 1.1)];
        Assert.Equal([Day(2026, 11, 1)], SupervisionRules.MissingSlots(ReportingPeriodKind.Monthly, Period("2026-Q4"), Day(2027, 1, 1), monthly));
    }

    [Fact]
    public void Missing_and_reported_slots_together_are_the_due_slots()
    {
        Gen.Select(Gen.Int[0, 364].Array[0, 60], Gen.Bool).Sample((days, monthly) =>
        {
            var schedule = monthly ? ReportingPeriodKind.Monthly : ReportingPeriodKind.Daily;
            var year = Period("2026");
            var values = days.Order().Select(d => new DatedValue(year.Start.AddDays(d), 1)).ToList();
            var due = SupervisionRules.DueSlots(schedule, year, Day(2027, 6, 1));
            var missing = SupervisionRules.MissingSlots(schedule, year, Day(2027, 6, 1), values);
            var reported = values.Select(v => SupervisionRules.SlotOf(schedule, v.Day)).ToHashSet();
            return missing.All(due.Contains) && due.All(s => missing.Contains(s) != reported.Contains(s));
        });
    }

    [Fact]
    public void Values_combine_as_their_metric_rolls_up_and_a_change_is_exact_in_decimal_terms()
    {
        var day = Day(2026, 10, 1);
        Assert.Equal(5, SupervisionRules.Combine(RollupKind.Sum, "it-officials", [(2, day), (3, day)]));
        Assert.Equal(0.9, SupervisionRules.Combine(RollupKind.Average, "dt-budget-share", [(0.8, day), (1.0, day)]));
        Assert.Null(SupervisionRules.Combine(RollupKind.Average, "dt-budget-share", []));
        Assert.Equal(-0.03, SupervisionRules.Change(0.87, 0.9));
        Assert.Null(SupervisionRules.Change(0.87, null));
    }

    [Fact]
    public void A_scope_achieves_a_per_unit_count_only_when_no_unit_misses_it_and_a_share_by_its_rolled_up_value()
    {
        var one = new Target(TargetDirection.AtLeast, 1);
        Assert.False(SupervisionRules.Achieved(RollupKind.Sum, one, 12, unitsBelow: 1));
        Assert.True(SupervisionRules.Achieved(RollupKind.Sum, one, 12, unitsBelow: 0));
        Assert.False(SupervisionRules.Achieved(RollupKind.Average, AtLeastOnePercent, 0.9, unitsBelow: 0));
        Assert.Null(SupervisionRules.Achieved(RollupKind.Average, null, 0.9, 0));
        Assert.Null(SupervisionRules.Achieved(RollupKind.Average, AtLeastOnePercent, null, 0));
    }

    [Fact]
    public void The_median_wait_to_acknowledge_is_the_middle_one_or_between_the_middle_two()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), SupervisionRules.Median([TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)]));
        Assert.Equal(TimeSpan.FromMinutes(3), SupervisionRules.Median([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)]));
        Assert.Null(SupervisionRules.Median([]));
    }

    [Fact]
    public void The_wait_to_acknowledge_runs_from_raising_to_acknowledging_and_is_none_for_an_alert_never_acknowledged()
    {
        var raised = Day(2026, 11, 3).AddHours(9);
        Assert.Equal(TimeSpan.FromMinutes(42), SupervisionRules.TimeToAcknowledge(raised, raised.AddMinutes(42)));
        Assert.Null(SupervisionRules.TimeToAcknowledge(raised, null));
    }

    [Fact]
    public void The_letters_indicators_are_stated_in_one_plain_Vietnamese_sentence()
    {
        var catalog = Infrastructure.HubCluster.SeededCatalog();
        var share = catalog.Metric(SupervisionReportBuilder.BudgetShare);
        var officials = catalog.Metric(SupervisionReportBuilder.ItOfficials);
        Assert.Equal("Tỷ lệ chi ngân sách cho chuyển đổi số: 0,87 % — chưa đạt (yêu cầu tối thiểu 1,0 %).",
            SupervisionReportBuilder.Statement(share, share.Target, 0.87, false));
        Assert.Equal("Cán bộ chuyên trách CĐS có trình độ đại học CNTT: 2 người — đạt (yêu cầu tối thiểu 1 người).",
            SupervisionReportBuilder.Statement(officials, officials.Target, 2, true));
        Assert.Equal("Cán bộ chuyên trách CĐS có trình độ đại học CNTT: chưa báo cáo trong kỳ (yêu cầu tối thiểu 1 người).",
            SupervisionReportBuilder.Statement(officials, officials.Target, null, null));
    }
}
