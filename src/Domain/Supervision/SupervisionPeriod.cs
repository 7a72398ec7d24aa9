using System.Globalization;

namespace Ioc.Domain;

/// <summary>How long a supervision period is.</summary>
public enum SupervisionPeriodKind
{
    /// <summary>A calendar month (<c>2026-11</c>).</summary>
    Month,
    /// <summary>A calendar quarter (<c>2026-Q4</c>).</summary>
    Quarter,
    /// <summary>A calendar year (<c>2026</c>).</summary>
    Year,
}

/// <summary>
/// A month, quarter or year on Vietnam's calendar (UTC+7, no daylight saving), as the People's Council
/// supervises by: from local midnight of its first day, to local midnight of the next period's first day
/// (exclusive). The periods of one kind tile time: every instant falls in exactly one.
/// </summary>
/// <param name="Kind">Month, quarter or year.</param>
/// <param name="Year">The calendar year.</param>
/// <param name="Number">The month (1–12) or quarter (1–4); 1 for a year.</param>
public readonly record struct SupervisionPeriod(SupervisionPeriodKind Kind, int Year, int Number)
{
    /// <summary>The earliest year a period may be in.</summary>
    public const int MinYear = 1970;

    /// <summary>The latest year a period may be in; its end must still be a representable instant.</summary>
    public const int MaxYear = 9998;

    /// <summary>The period of <paramref name="kind"/> that <paramref name="instant"/> falls in.</summary>
    public static SupervisionPeriod Containing(SupervisionPeriodKind kind, DateTimeOffset instant)
    {
        var local = instant.ToOffset(ReportingPeriod.VietnamOffset);
        return kind switch
        {
            SupervisionPeriodKind.Month => new(kind, local.Year, local.Month),
            SupervisionPeriodKind.Quarter => new(kind, local.Year, (local.Month + 2) / 3),
            _ => new(kind, local.Year, 1),
        };
    }

    /// <summary>
    /// Reads <c>2026-11</c> (a month), <c>2026-Q4</c> (a quarter, <c>q</c> also accepted) or <c>2026</c> (a year);
    /// false for anything else, including months and quarters out of range and years outside
    /// <see cref="MinYear"/>–<see cref="MaxYear"/>.
    /// </summary>
    public static bool TryParse(string? text, out SupervisionPeriod period)
    {
        period = default;
        if (string.IsNullOrEmpty(text) || text.Length < 4 || !TryYear(text.AsSpan(0, 4), out var year)) return false;
        var rest = text.AsSpan(4);
        if (rest.IsEmpty)
        {
            period = new(SupervisionPeriodKind.Year, year, 1);
            return true;
        }
        if (rest.Length == 3 && rest[0] == '-' && rest[1] is 'Q' or 'q' && rest[2] is >= '1' and <= '4')
        {
            period = new(SupervisionPeriodKind.Quarter, year, rest[2] - '0');
            return true;
        }
        if (rest.Length == 3 && rest[0] == '-' && char.IsAsciiDigit(rest[1]) && char.IsAsciiDigit(rest[2]))
        {
            var month = (rest[1] - '0') * 10 + (rest[2] - '0');
            if (month is < 1 or > 12) return false;
            period = new(SupervisionPeriodKind.Month, year, month);
            return true;
        }
        return false;
    }

    private static bool TryYear(ReadOnlySpan<char> digits, out int year)
    {
        year = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c)) return false;
            year = year * 10 + (c - '0');
        }
        return year is >= MinYear and <= MaxYear;
    }

    /// <summary>The first calendar month of the period.</summary>
    private int FirstMonth => Kind switch
    {
        SupervisionPeriodKind.Month => Number,
        SupervisionPeriodKind.Quarter => (Number - 1) * 3 + 1,
        _ => 1,
    };

    /// <summary>How many calendar months the period spans.</summary>
    public int Months => Kind switch { SupervisionPeriodKind.Month => 1, SupervisionPeriodKind.Quarter => 3, _ => 12 };

    /// <summary>Local midnight of the first day, Vietnam time.</summary>
    public DateTimeOffset Start => new(Year, FirstMonth, 1, 0, 0, 0, ReportingPeriod.VietnamOffset);

    /// <summary>Local midnight of the next period's first day (exclusive).</summary>
    public DateTimeOffset End => Start.AddMonths(Months);

    /// <summary>The period of the same kind just before.</summary>
    public SupervisionPeriod Previous => Containing(Kind, Start.AddTicks(-1));

    /// <summary>The period of the same kind just after.</summary>
    public SupervisionPeriod Next => Containing(Kind, End);

    /// <summary>Whether <paramref name="instant"/> falls in the period.</summary>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    /// <summary>The calendar months the period is made of, in order.</summary>
    internal IEnumerable<SupervisionPeriod> MonthsWithin()
    {
        var start = Start;
        for (var i = 0; i < Months; i++)
            yield return Containing(SupervisionPeriodKind.Month, start.AddMonths(i));
    }

    /// <summary>The period as it is written in a query: <c>2026-11</c>, <c>2026-Q4</c> or <c>2026</c>.</summary>
    public override string ToString() => Kind switch
    {
        SupervisionPeriodKind.Month => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Number:D2}"),
        SupervisionPeriodKind.Quarter => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-Q{Number}"),
        _ => Year.ToString("D4", CultureInfo.InvariantCulture),
    };

    /// <summary>The period as a Vietnamese report names it: <c>tháng 11/2026</c>, <c>quý IV/2026</c>, <c>năm 2026</c>.</summary>
    public string VietnameseName => Kind switch
    {
        SupervisionPeriodKind.Month => string.Create(CultureInfo.InvariantCulture, $"tháng {Number:D2}/{Year}"),
        SupervisionPeriodKind.Quarter => string.Create(CultureInfo.InvariantCulture, $"quý {Roman(Number)}/{Year}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"năm {Year}"),
    };

    private static string Roman(int quarter) => quarter switch { 1 => "I", 2 => "II", 3 => "III", _ => "IV" };
}
