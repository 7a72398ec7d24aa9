using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>Reporting periods on Vietnam's calendar, compliance and staleness, without a silo.</summary>
public sealed class ReportingRulesTests
{
    private static readonly DateTimeOffset From = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Instants over three years, with any offset a sender might use: the period must not depend on it.
    private static readonly Gen<DateTimeOffset> Instant = Gen.Select(Gen.Long[0, TimeSpan.FromDays(3 * 365).Ticks], Gen.Int[-12, 14],
        (ticks, hours) => From.AddTicks(ticks).ToOffset(TimeSpan.FromHours(hours)));

    [Fact]
    public void An_indicator_expected_daily_or_faster_is_due_each_day_and_a_slower_one_each_month()
    {
        Assert.Equal(ReportingPeriodKind.Daily, ReportingPeriod.Of(TimeSpan.FromMinutes(1)));
        Assert.Equal(ReportingPeriodKind.Daily, ReportingPeriod.Of(TimeSpan.FromDays(1)));
        Assert.Equal(ReportingPeriodKind.Monthly, ReportingPeriod.Of(TimeSpan.FromDays(7)));
    }

    [Fact]
    public void The_start_of_a_period_is_its_own_start() =>
        Gen.Select(Instant, Gen.Enum<ReportingPeriodKind>()).Sample(t =>
        {
            var start = ReportingPeriod.StartOf(t.Item2, t.Item1);
            Assert.Equal(start, ReportingPeriod.StartOf(t.Item2, start));
        });

    [Fact]
    public void A_period_contains_the_instant_it_was_asked_for_and_begins_at_a_Vietnam_midnight() =>
        Gen.Select(Instant, Gen.Enum<ReportingPeriodKind>()).Sample(t =>
        {
            var (now, kind) = t;
            var start = ReportingPeriod.StartOf(kind, now);
            Assert.True(start <= now && now < start.AddDays(kind == ReportingPeriodKind.Daily ? 1 : 31));
            Assert.Equal((TimeSpan.FromHours(7), TimeSpan.Zero), (start.Offset, start.TimeOfDay));
            if (kind == ReportingPeriodKind.Monthly) Assert.Equal(1, start.Day);
        });

    [Fact]
    public void Period_starts_never_go_back_as_time_goes_on() =>
        Gen.Select(Instant, Instant, Gen.Enum<ReportingPeriodKind>()).Sample(t =>
        {
            var (a, b, kind) = t;
            var (earlier, later) = a <= b ? (a, b) : (b, a);
            Assert.True(ReportingPeriod.StartOf(kind, earlier) <= ReportingPeriod.StartOf(kind, later));
        });

    [Fact]
    public void Every_day_of_a_month_falls_in_the_same_monthly_period() =>
        Instant.Sample(now =>
        {
            var month = ReportingPeriod.StartOf(ReportingPeriodKind.Monthly, now);
            Assert.Equal(month, ReportingPeriod.StartOf(ReportingPeriodKind.Monthly, ReportingPeriod.StartOf(ReportingPeriodKind.Daily, now)));
        });

    [Fact]
    public void An_indicator_is_unreported_until_a_value_from_the_current_period_arrives()
    {
        var start = new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.FromHours(7));
        Assert.True(ReportingPeriod.IsUnreported(null, start));
        Assert.True(ReportingPeriod.IsUnreported(start.AddTicks(-1), start));
        Assert.False(ReportingPeriod.IsUnreported(start, start));
    }

    [Fact]
    public void A_value_goes_stale_only_after_its_grace_of_reporting_intervals()
    {
        var staleAfter = Freshness.StaleAfter(TimeSpan.FromMinutes(1), 2.0);
        var at = From;
        Assert.Equal(TimeSpan.FromMinutes(2), staleAfter);
        Assert.False(Freshness.IsStale(at, staleAfter, at + staleAfter));
        Assert.True(Freshness.IsStale(at, staleAfter, at + staleAfter + TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void A_unit_that_never_reported_is_offline_and_one_that_reported_is_offline_only_once_silent_too_long()
    {
        var after = TimeSpan.FromSeconds(30);
        Assert.True(Freshness.IsOffline(null, after, From));
        Assert.False(Freshness.IsOffline(From, after, From + after));
        Assert.True(Freshness.IsOffline(From, after, From + after + TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void Jobs_on_one_timer_tick_at_the_shortest_period_and_each_runs_within_half_a_tick_of_its_own() =>
        // The periods the hub's settings allow: 10 ms to an hour.
        Gen.Select(Gen.Long[TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromHours(1).Ticks], Gen.Long[TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromHours(1).Ticks]).Sample(t =>
        {
            var (first, second) = (TimeSpan.FromTicks(t.Item1), TimeSpan.FromTicks(t.Item2));
            var ticks = SharedTicks.Of(first, second);
            Assert.Equal(first < second ? first : second, ticks.Tick);
            foreach (var period in new[] { first, second })
            {
                // The timer ticks regularly: the job runs after the same number of ticks each time.
                var every = 1;
                while (!ticks.Runs(period, ticks.Tick * every))
                    every++;
                Assert.InRange(ticks.Tick * every, period - ticks.Tick / 2, period + ticks.Tick / 2);
                // A clock that jumped past the period runs the job at once.
                Assert.True(ticks.Runs(period, period));
            }
        });

    [Fact]
    public void A_units_save_every_two_seconds_runs_on_every_tick_and_its_freshness_check_every_five_seconds_on_every_second()
    {
        var ticks = SharedTicks.Of(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(2), ticks.Tick);
        // A tick a little early or late still saves.
        Assert.True(ticks.Runs(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1.9)));
        Assert.False(ticks.Runs(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)));
        Assert.True(ticks.Runs(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(4)));
    }
}
