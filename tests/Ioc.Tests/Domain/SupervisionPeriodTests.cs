using CsCheck;

namespace Ioc.Tests.Domain;

/// <summary>Supervision periods: how they are written, where they start and end, and that they tile time.</summary>
public sealed class SupervisionPeriodTests
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    private static readonly Gen<SupervisionPeriodKind> Kind = Gen.Enum<SupervisionPeriodKind>();

    // Instants from 1971 to 9997, to the tick.
    private static readonly Gen<DateTimeOffset> Instant = Gen.Long[
        new DateTimeOffset(1971, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks,
        new DateTimeOffset(9997, 12, 31, 0, 0, 0, TimeSpan.Zero).UtcTicks].Select(t => new DateTimeOffset(t, TimeSpan.Zero));

    private static readonly Gen<SupervisionPeriod> Period = Gen.Select(Kind, Instant, SupervisionPeriod.Containing);

    [Theory]
    [InlineData("2026-11", SupervisionPeriodKind.Month, 2026, 11)]
    [InlineData("2026-01", SupervisionPeriodKind.Month, 2026, 1)]
    [InlineData("2026-Q4", SupervisionPeriodKind.Quarter, 2026, 4)]
    [InlineData("2026-q1", SupervisionPeriodKind.Quarter, 2026, 1)]
    [InlineData("2026", SupervisionPeriodKind.Year, 2026, 1)]
    public void A_month_a_quarter_and_a_year_are_read_as_written_in_the_query(string text, SupervisionPeriodKind kind, int year, int number)
    {
        Assert.True(SupervisionPeriod.TryParse(text, out var period));
        Assert.Equal(new SupervisionPeriod(kind, year, number), period);
        Assert.Equal(text.ToUpperInvariant(), period.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("26")]
    [InlineData("2026-13")]
    [InlineData("2026-00")]
    [InlineData("2026-1")]
    [InlineData("2026-Q5")]
    [InlineData("2026-Q0")]
    [InlineData("2026-H1")]
    [InlineData("2026-11-01")]
    [InlineData(" 2026")]
    [InlineData("1969")]
    [InlineData("9999")]
    [InlineData("２０２６")]
    [InlineData("tháng 11")]
    public void Anything_else_is_not_a_period(string? text)
    {
        Assert.False(SupervisionPeriod.TryParse(text, out _));
    }

    [Fact]
    public void A_period_runs_from_Vietnam_midnight_of_its_first_day_to_that_of_the_next_periods()
    {
        SupervisionPeriod.TryParse("2026-Q4", out var q4);
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 0, 0, 0, Vietnam), q4.Start);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, Vietnam), q4.End);
        Assert.Equal(new DateTimeOffset(2026, 9, 30, 17, 0, 0, TimeSpan.Zero), q4.Start.ToUniversalTime());
        Assert.Equal("2026-Q3", q4.Previous.ToString());
        Assert.Equal("quý IV/2026", q4.VietnameseName);

        SupervisionPeriod.TryParse("2026-03", out var march);
        Assert.Equal("2026-02", march.Previous.ToString());
        Assert.Equal(TimeSpan.FromDays(28), march.Previous.End - march.Previous.Start);
        Assert.Equal("tháng 03/2026", march.VietnameseName);
        SupervisionPeriod.TryParse("2026-01", out var january);
        Assert.Equal("2025-12", january.Previous.ToString());
        SupervisionPeriod.TryParse("2026", out var year);
        Assert.Equal(("2025", "năm 2026"), (year.Previous.ToString(), year.VietnameseName));
    }

    [Fact]
    public void An_instant_falls_in_the_period_of_its_Vietnam_date_not_its_UTC_date()
    {
        // 30 November 2026 at 17:00 UTC is already 1 December in Hưng Yên.
        var instant = new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.Zero);
        Assert.Equal("2026-12", SupervisionPeriod.Containing(SupervisionPeriodKind.Month, instant).ToString());
        Assert.Equal("2026-11", SupervisionPeriod.Containing(SupervisionPeriodKind.Month, instant.AddTicks(-1)).ToString());
        Assert.Equal("2026-Q4", SupervisionPeriod.Containing(SupervisionPeriodKind.Quarter, instant).ToString());
        Assert.Equal("2027", SupervisionPeriod.Containing(SupervisionPeriodKind.Year, new DateTimeOffset(2026, 12, 31, 17, 0, 0, TimeSpan.Zero)).ToString());
    }

    [Fact]
    public void Every_instant_falls_in_exactly_the_period_containing_it_and_not_its_neighbours()
    {
        Gen.Select(Kind, Instant).Sample((kind, instant) =>
        {
            var period = SupervisionPeriod.Containing(kind, instant);
            return period.Contains(instant) && !period.Previous.Contains(instant) && !period.Next.Contains(instant)
                && period.Start <= instant && instant < period.End;
        });
    }

    [Fact]
    public void Consecutive_periods_meet_without_gap_or_overlap()
    {
        Period.Sample(p =>
            p.Next.Start == p.End && p.Previous.End == p.Start && p.Next.Previous == p && p.Previous.Next == p
            && SupervisionPeriod.Containing(p.Kind, p.Start) == p && SupervisionPeriod.Containing(p.Kind, p.End.AddTicks(-1)) == p
            && SupervisionPeriod.Containing(p.Kind, p.End) == p.Next);
    }

    [Fact]
    public void The_months_of_a_quarter_or_year_tile_it()
    {
        Period.Sample(p =>
        {
            var months = p.MonthsWithin().ToList();
            return months.Count == p.Months && months[0].Start == p.Start && months[^1].End == p.End
                && months.Zip(months.Skip(1)).All(m => m.First.End == m.Second.Start);
        });
    }

    [Fact]
    public void Writing_a_period_and_reading_it_back_gives_the_same_period()
    {
        Period.Sample(p => SupervisionPeriod.TryParse(p.ToString(), out var back) && back == p);
    }
}
