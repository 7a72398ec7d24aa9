using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>One unit's book without a silo: which value is latest, since when it misses its target, what is sent up and what is alerted.</summary>
public sealed class UnitBookTests
{
    // 10:00 Vietnam time, well inside a day and a month.
    private static readonly DateTimeOffset Epoch = new(2026, 11, 10, 10, 0, 0, TimeSpan.FromHours(7));
    private static readonly Target AtLeastNinety = new(TargetDirection.AtLeast, 90);
    private static readonly Thresholds Pm25 = new(TargetDirection.AtMost, Warning: 50, Critical: 100);

    // Index 0: an indicator reported daily with a target; index 1: a sensor every five minutes with thresholds.
    private static UnitBook Book(Dictionary<string, DateTimeOffset>? since = null) => new(
        [
            new UnitMetric("dvc-rate", TimeSpan.FromDays(2), Indicator: true, ReportingPeriodKind.Daily, new MetricRule("dvc-rate", AtLeastNinety, null)),
            new UnitMetric("pm25", TimeSpan.FromMinutes(10), Indicator: false, ReportingPeriodKind.Daily, new MetricRule("pm25", null, Pm25)),
        ],
        since ?? new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal),
        clearMargin: 0.05);

    // Reports of the indicator in time order, several at a time allowed: minute offset and value (below 90 misses).
    private static readonly Gen<(int Minute, double Value)[]> Reports =
        Gen.Select(Gen.Int[0, 3], Gen.Int[80, 100]).Array[1, 30].Select(steps =>
        {
            var minute = 0;
            return steps.Select(s => (minute += s.Item1, (double)s.Item2)).ToArray();
        });

    /// <summary>The model: the first report of the trailing run of reports that miss the target, or none when the last meets it.</summary>
    private static DateTimeOffset? RunStart((int Minute, double Value)[] reports)
    {
        DateTimeOffset? start = null;
        for (var i = reports.Length - 1; i >= 0 && AtLeastNinety.IsMissedBy(reports[i].Value); i--)
            start = Epoch.AddMinutes(reports[i].Minute);
        return start;
    }

    [Fact]
    public void Below_target_since_is_the_start_of_the_current_unbroken_run_below_target() =>
        Reports.Sample(reports =>
        {
            var since = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            var book = Book(since);
            foreach (var (minute, value) in reports)
                Assert.True(book.Record(0, value, Epoch.AddMinutes(minute)));
            var expected = RunStart(reports);
            Assert.Equal(expected, since.TryGetValue("dvc-rate", out var s) ? s : null);
            if (expected is { } e)
                Assert.Equal(e, book.BelowTargetSince(0));
        });

    [Fact]
    public void Reports_older_than_the_latest_change_nothing_wherever_they_arrive() =>
        Gen.Select(Reports, Gen.Int[0, 29].Array[0, 10], Gen.Int[80, 100]).Sample(t =>
        {
            var (reports, lateAt, lateValue) = t;
            var (inOrder, withLate) = (new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal), new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal));
            var (a, b) = (Book(inOrder), Book(withLate));
            for (var i = 0; i < reports.Length; i++)
            {
                var at = Epoch.AddMinutes(reports[i].Minute);
                a.Record(0, reports[i].Value, at);
                b.Record(0, reports[i].Value, at);
                // A report from before everything sent so far: it is counted elsewhere, never latest.
                if (lateAt.Contains(i))
                    Assert.False(b.Record(0, lateValue, Epoch.AddMinutes(-1)));
            }
            Assert.Equal((a.ValueAt(0), a.TimestampAt(0)), (b.ValueAt(0), b.TimestampAt(0)));
            Assert.Equal(inOrder, withLate);
        });

    [Fact]
    public void A_new_target_that_the_held_value_misses_counts_from_the_change_and_one_it_meets_forgets_it()
    {
        var since = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var book = Book(since);
        book.Record(0, 85, Epoch);
        Assert.Equal(Epoch, since["dvc-rate"]);

        book.SetRule(0, new MetricRule("dvc-rate", new Target(TargetDirection.AtLeast, 80), null));
        Assert.True(book.RulesChanged(Epoch.AddHours(1)));
        Assert.Empty(since);

        book.SetRule(0, new MetricRule("dvc-rate", new Target(TargetDirection.AtLeast, 95), null));
        Assert.True(book.RulesChanged(Epoch.AddHours(2)));
        Assert.Equal(Epoch.AddHours(2), since["dvc-rate"]);
        Assert.False(book.RulesChanged(Epoch.AddHours(3)));
    }

    [Fact]
    public void A_restored_book_keeps_the_stored_since_and_sends_its_values_again()
    {
        var since = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal) { ["dvc-rate"] = Epoch.AddDays(-3) };
        var book = Book(since);
        book.Restore(0, 85, Epoch.AddHours(-1));
        book.Record(0, 86, Epoch);

        Assert.Equal(Epoch.AddDays(-3), book.BelowTargetSince(0));
        Assert.True(book.Judge(Epoch, lastReport: Epoch).Changed);
        var change = Assert.Single(book.TakeChanges(full: false));
        Assert.Equal(("dvc-rate", 86.0, HealthStatus.BelowTarget), (change.Metric, change.Value, change.Status));
    }

    [Fact]
    public void Values_go_up_once_as_a_partial_and_a_stale_value_withdraws_its_contribution()
    {
        var book = Book();
        book.Record(1, 40, Epoch);
        book.Judge(Epoch, lastReport: Epoch);
        var sent = Assert.Single(book.TakeChanges(full: false));
        Assert.Equal(MetricPartial.Of("pm25", 40, Epoch), sent.Partial);
        Assert.Empty(book.TakeChanges(full: false));

        // Twenty minutes on the sensor value is stale: it is sent again, as nothing to add.
        var later = Epoch.AddMinutes(20);
        Assert.True(book.Judge(later, lastReport: Epoch).Changed);
        var withdrawn = Assert.Single(book.TakeChanges(full: false));
        Assert.Equal((HealthStatus.Offline, MetricPartial.Empty("pm25")), (withdrawn.Status, withdrawn.Partial));
        Assert.False(book.Judge(later, lastReport: Epoch).Changed);
        Assert.Single(book.TakeChanges(full: true));
    }

    [Fact]
    public void A_unit_never_heard_from_is_offline_and_its_indicator_unreported_but_it_raises_no_offline_alert()
    {
        var book = Book();
        var judgement = book.Judge(Epoch, lastReport: null);

        Assert.Equal((HealthStatus.Offline, 0, 1), (book.Status, book.BelowTarget, book.NotReported));
        // Nothing was told yet and nothing can be judged: the alerts hear of no condition at all.
        Assert.False(judgement.ConditionsChanged);
    }

    [Fact]
    public void Conditions_are_told_when_a_severity_changes_and_a_breach_holds_within_the_clear_margin()
    {
        var book = Book();
        book.Record(1, 120, Epoch);
        var raised = book.Judge(Epoch, lastReport: Epoch);
        Assert.True(raised.ConditionsChanged);
        Assert.Contains(new UnitCondition("pm25", AlertSeverity.Critical, 120, 100), raised.Conditions);
        Assert.Contains(new UnitCondition(null, null, null, null), raised.Conditions);

        book.Record(1, 125, Epoch.AddMinutes(1));
        Assert.False(book.Judge(Epoch.AddMinutes(1), lastReport: Epoch.AddMinutes(1)).ConditionsChanged);

        // 97 is back under the critical threshold but not by the 5 % margin: the breach holds.
        book.Record(1, 97, Epoch.AddMinutes(2));
        Assert.False(book.Judge(Epoch.AddMinutes(2), lastReport: Epoch.AddMinutes(2)).ConditionsChanged);

        book.Record(1, 90, Epoch.AddMinutes(3));
        var lowered = book.Judge(Epoch.AddMinutes(3), lastReport: Epoch.AddMinutes(3));
        Assert.Contains(new UnitCondition("pm25", AlertSeverity.Warning, 90, 50), lowered.Conditions);
    }

    [Fact]
    public void The_standing_goes_up_first_then_only_when_a_value_below_target_or_a_period_changes()
    {
        var book = Book();
        book.Record(0, 85, Epoch);
        book.Judge(Epoch, lastReport: Epoch);
        Assert.True(book.TakeStandingChange(full: false));
        Assert.False(book.TakeStandingChange(full: false));
        Assert.True(book.TakeStandingChange(full: true));

        // A sensor value does not touch the standing; a new value below target does.
        book.Record(1, 40, Epoch.AddMinutes(1));
        book.Judge(Epoch.AddMinutes(1), lastReport: Epoch.AddMinutes(1));
        Assert.False(book.TakeStandingChange(full: false));
        book.Record(0, 86, Epoch.AddMinutes(2));
        book.Judge(Epoch.AddMinutes(2), lastReport: Epoch.AddMinutes(2));
        Assert.True(book.TakeStandingChange(full: false));

        // Meeting the target takes it off the standing; the next day leaves the met indicator unreported.
        book.Record(0, 95, Epoch.AddMinutes(3));
        book.Judge(Epoch.AddMinutes(3), lastReport: Epoch.AddMinutes(3));
        Assert.True(book.TakeStandingChange(full: false));
        Assert.Equal(0, book.NotReported);
        book.Judge(Epoch.AddDays(1), lastReport: Epoch.AddMinutes(3));
        Assert.True(book.TakeStandingChange(full: false));
        Assert.Equal(1, book.NotReported);
    }
}
