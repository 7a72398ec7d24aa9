using System.Globalization;
using System.Text;

namespace Ioc.LoadGen.Suite;

/// <summary>How a figure is printed.</summary>
internal enum Unit
{
    PointsPerSecond,
    Milliseconds,
    Seconds,
    MiB,
    KiB,
    Points,
    Ratio,
    Percent,
}

/// <summary>
/// One table row: a measure over repeated runs beside its baseline from the same runs, the target and
/// whether it was met. A measure that cannot be taken at this commit carries its reason instead.
/// </summary>
internal sealed record Row(
    string Scenario,
    string Measure,
    Unit Unit,
    IReadOnlyList<double> Hub,
    string? Baseline = null,
    IReadOnlyList<double>? Base = null,
    string Target = "",
    string Verdict = "",
    string Note = "",
    string? Missing = null)
{
    public static Row NotAvailable(string scenario, string measure, string why) =>
        new(scenario, measure, Unit.Points, [], Missing: why);
}

/// <summary>Collects rows, prints them as they come and writes the Markdown report.</summary>
internal sealed class Results(string path)
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine(Line(row));
        Save();
    }

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine("note: " + note);
        Save();
    }

    public string Header { get; set; } = "";

    public static string Median(IReadOnlyList<double> values, Unit unit) => values.Count == 0 ? "—" : Format(Stats(values).Median, unit);

    public static (double Min, double Median, double Max) Stats(IReadOnlyList<double> values)
    {
        var sorted = values.Where(double.IsFinite).OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return (double.NaN, double.NaN, double.NaN);
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return (sorted[0], median, sorted[^1]);
    }

    public static string Format(double v, Unit unit) => !double.IsFinite(v) ? "—" : unit switch
    {
        Unit.PointsPerSecond => v.ToString("N0", CultureInfo.InvariantCulture),
        Unit.Points => v.ToString("N0", CultureInfo.InvariantCulture),
        Unit.Milliseconds => v.ToString(v < 10 ? "N2" : "N1", CultureInfo.InvariantCulture),
        Unit.Seconds => v.ToString("N2", CultureInfo.InvariantCulture),
        Unit.MiB => v.ToString("N1", CultureInfo.InvariantCulture),
        Unit.KiB => v.ToString("N1", CultureInfo.InvariantCulture),
        Unit.Ratio => v.ToString("N2", CultureInfo.InvariantCulture),
        Unit.Percent => v.ToString("N0", CultureInfo.InvariantCulture) + " %",
        _ => v.ToString(CultureInfo.InvariantCulture),
    };

    private static string Spread(IReadOnlyList<double> values, Unit unit)
    {
        if (values.Count == 0) return "—";
        var (min, median, max) = Stats(values);
        return $"{Format(min, unit)} / **{Format(median, unit)}** / {Format(max, unit)}";
    }

    private static string UnitName(Unit unit) => unit switch
    {
        Unit.PointsPerSecond => "points/s",
        Unit.Milliseconds => "ms",
        Unit.Seconds => "s",
        Unit.MiB => "MiB",
        Unit.KiB => "KiB",
        Unit.Points => "points",
        Unit.Ratio => "×",
        Unit.Percent => "% of one core",
        _ => "",
    };

    private static string Line(Row r)
    {
        if (r.Missing is not null)
            return $"| {r.Scenario} | {r.Measure} | — | n/a ({r.Missing}) | | | | | |";
        var ratio = r.Base is { Count: > 0 } b && r.Hub.Count > 0 && r.Unit != Unit.Ratio
            ? Format(Stats(r.Hub).Median / Stats(b).Median, Unit.Ratio) : "";
        var measure = $"{r.Measure} ({UnitName(r.Unit)})";
        var note = string.IsNullOrEmpty(r.Note) ? "" : " " + r.Note;
        return $"| {r.Scenario} | {measure} | {r.Hub.Count} | {Spread(r.Hub, r.Unit)} | {r.Baseline ?? ""} | {(r.Base is null ? "" : Spread(r.Base, r.Unit))} | {ratio} | {r.Target} | {r.Verdict}{note} |";
    }

    public const string TableHeader = """
        | # | measure | runs | hub: min / **median** / max | baseline (same run) | baseline: min / **median** / max | hub ÷ baseline | target | verdict, notes |
        |---|---|---|---|---|---|---|---|---|
        """;

    public void Save()
    {
        var text = new StringBuilder();
        text.AppendLine(Header);
        text.AppendLine();
        text.AppendLine(TableHeader);
        foreach (var r in _rows) text.AppendLine(Line(r));
        if (_notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            foreach (var n in _notes) text.AppendLine("- " + n);
        }
        File.WriteAllText(path, text.ToString());
    }
}
