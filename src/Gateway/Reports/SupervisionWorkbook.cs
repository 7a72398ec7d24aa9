using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Ioc.Contracts;
using Ioc.Contracts.Supervision;
using Ioc.Gateway.Export;

namespace Ioc.Gateway.Reports;

/// <summary>
/// The supervision report as an Excel workbook, which is what the province's offices work in: a sheet
/// per section, Vietnamese headings, numbers as numeric cells, times as dates in Vietnam time, and every
/// text cell escaped against formula injection (<see cref="SpreadsheetText"/>).
/// </summary>
public static class SupervisionWorkbook
{
    /// <summary>The media type of an .xlsx file.</summary>
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>The sheets, in order.</summary>
    public static readonly string[] SheetNames = ["Tổng quan", "Chỉ tiêu", "Chưa đạt", "Báo cáo thiếu", "Cán bộ và ngân sách", "Cảnh báo"];

    private const uint HeaderStyle = 1;
    private const uint DateStyle = 2;

    /// <summary>A download name such as <c>bao-cao-giam-sat-hung-yen-2026-Q4.xlsx</c>.</summary>
    public static string FileName(SupervisionReport report) => $"bao-cao-giam-sat-{report.Scope.Id}-{report.Period.Id}.xlsx";

    /// <summary>The workbook's bytes.</summary>
    public static byte[] Write(SupervisionReport report)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
            var sheets = workbook.Workbook.AppendChild(new Sheets());

            void Sheet(string name, IEnumerable<IReadOnlyList<object?>> rows)
            {
                var part = workbook.AddNewPart<WorksheetPart>();
                var data = new SheetData();
                var widths = new List<double>();
                uint r = 0;
                foreach (var row in rows)
                {
                    r++;
                    var line = new Row { RowIndex = r };
                    for (var c = 0; c < row.Count; c++)
                    {
                        if (CellOf(row[c], $"{Column(c)}{r}", header: r == 1 && name != SheetNames[0]) is not { } cell) continue;
                        line.Append(cell);
                        while (widths.Count <= c) widths.Add(MinWidth);
                        widths[c] = Math.Max(widths[c], Math.Min(MaxWidth, WidthOf(row[c]!)));
                    }
                    data.Append(line);
                }
                // Excel does not size columns to their content when it opens a file; a reader should not have to.
                var columns = new Columns(widths.Select((w, i) => new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = w, CustomWidth = true }));
                part.Worksheet = widths.Count > 0 ? new Worksheet(columns, data) : new Worksheet(data);
                sheets.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = (uint)sheets.ChildElements.Count + 1, Name = name });
            }

            Sheet(SheetNames[0], Overview(report));
            Sheet(SheetNames[1], Indicators(report));
            Sheet(SheetNames[2], BelowTarget(report));
            Sheet(SheetNames[3], Compliance(report));
            Sheet(SheetNames[4], Letter(report));
            Sheet(SheetNames[5], Alerts(report));
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }

    private static IEnumerable<IReadOnlyList<object?>> Overview(SupervisionReport r)
    {
        yield return ["Báo cáo giám sát chuyển đổi số"];
        yield return ["Phạm vi", r.Scope.Name];
        yield return ["Kỳ báo cáo", r.Period.Name];
        yield return ["Từ", r.Period.Start];
        yield return ["Đến (không gồm)", r.Period.End];
        yield return ["Kỳ trước", r.PreviousPeriod.Name];
        yield return ["Lập lúc", r.GeneratedAt];
        yield return ["Số chỉ tiêu chưa đạt (lượt đơn vị)", r.BelowTarget.Length];
        yield return ["Số đơn vị thiếu báo cáo định kỳ", r.Compliance.Length];
        yield return ["Số cảnh báo phát sinh", r.Alerts.Raised];
        foreach (var note in r.Notes) yield return ["Ghi chú", note];
    }

    private static IEnumerable<IReadOnlyList<object?>> Indicators(SupervisionReport r)
    {
        yield return ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Yêu cầu", "Chỉ tiêu", "Giá trị kỳ này", "Giá trị kỳ trước", "Thay đổi", "Đánh giá", "Số đơn vị", "Số đơn vị đã báo cáo", "Số đơn vị chưa đạt"];
        foreach (var i in r.Indicators)
            yield return [i.Metric, i.MetricName, i.UnitOfMeasure, Direction(i.Target?.Direction), i.Target?.Value, i.Value, i.PreviousValue, i.Change, Verdict(i.Achieved), i.Units, i.UnitsReporting, i.UnitsBelow];
    }

    private static IEnumerable<IReadOnlyList<object?>> BelowTarget(SupervisionReport r)
    {
        yield return ["Mã đơn vị", "Tên đơn vị", "Địa bàn", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Giá trị", "Yêu cầu", "Chỉ tiêu", "Chênh lệch", "Chưa đạt từ ngày", "Có thể sớm hơn", "Số ngày chưa đạt"];
        foreach (var b in r.BelowTarget)
            yield return [b.Unit, b.UnitName, b.LocalityName, b.Metric, b.MetricName, b.UnitOfMeasure, b.Value, Direction(b.Direction), b.Target, b.Gap, b.Since, b.SinceAtLeast ? "có" : "không", b.DaysBelow];
    }

    private static IEnumerable<IReadOnlyList<object?>> Compliance(SupervisionReport r)
    {
        yield return ["Mã đơn vị", "Tên đơn vị", "Địa bàn", "Mã chỉ tiêu", "Tên chỉ tiêu", "Định kỳ", "Số kỳ phải báo cáo", "Số kỳ thiếu", "Thiếu từ", "Báo cáo gần nhất"];
        foreach (var u in r.Compliance)
        foreach (var m in u.Indicators)
            yield return [u.Unit, u.UnitName, u.LocalityName, m.Metric, m.MetricName, m.Schedule == ReportingPeriodKind.Daily ? "hằng ngày" : "hằng tháng", m.Due, m.Missing, m.FirstMissing, m.LastReported];
    }

    private static IEnumerable<IReadOnlyList<object?>> Letter(SupervisionReport r)
    {
        yield return ["Mã", "Địa phương, sở ngành", "Loại", "Mã chỉ tiêu", "Tên chỉ tiêu", "Giá trị", "Đơn vị tính", "Yêu cầu", "Chỉ tiêu", "Đánh giá", "Nội dung"];
        foreach (var s in r.Letter)
        foreach (var i in s.Indicators)
            yield return [s.Entity, s.EntityName, Kind(s.Kind), i.Metric, i.MetricName, i.Value, i.UnitOfMeasure, Direction(i.Target?.Direction), i.Target?.Value, Verdict(i.Achieved), i.Statement];
    }

    private static IEnumerable<IReadOnlyList<object?>> Alerts(SupervisionReport r)
    {
        yield return ["Mã cảnh báo", "Mã đơn vị", "Tên đơn vị", "Chỉ số", "Mức độ", "Trạng thái", "Phát sinh lúc", "Xác nhận lúc", "Người xác nhận", "Ghi chú xác nhận", "Số phút đến khi xác nhận", "Kết thúc lúc"];
        foreach (var a in r.Alerts.Items)
            yield return [a.Id, a.Unit, a.UnitName, a.MetricName ?? "mất kết nối", Severity(a.Severity), State(a.State), a.RaisedAt, a.AcknowledgedAt, a.AcknowledgedBy, a.Comment, a.MinutesToAcknowledge, a.ClearedAt];
    }

    /// <summary>Vietnamese for a target's direction.</summary>
    public static string? Direction(TargetDirection? direction) => direction switch
    {
        TargetDirection.AtLeast => "tối thiểu",
        TargetDirection.AtMost => "tối đa",
        _ => null,
    };

    /// <summary>Vietnamese for whether a target was achieved.</summary>
    public static string Verdict(bool? achieved) => achieved switch { true => "đạt", false => "chưa đạt", null => "chưa có số liệu" };

    /// <summary>Vietnamese for a locality's or department's kind.</summary>
    public static string Kind(EntityKind kind) => kind switch
    {
        EntityKind.City => "thành phố",
        EntityKind.Town => "thị xã",
        EntityKind.District => "huyện",
        EntityKind.Department => "sở, ngành",
        EntityKind.Project => "dự án",
        EntityKind.Province => "tỉnh",
        _ => "đơn vị",
    };

    /// <summary>Vietnamese for an alert's severity.</summary>
    public static string Severity(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => "nghiêm trọng",
        AlertSeverity.Warning => "cảnh báo",
        _ => "mất kết nối",
    };

    /// <summary>Vietnamese for an alert's state.</summary>
    public static string State(AlertState state) => state switch
    {
        AlertState.Active => "đang mở",
        AlertState.Acknowledged => "đã xác nhận",
        _ => "đã kết thúc",
    };

    private static Cell? CellOf(object? value, string reference, bool header) => value switch
    {
        null => null,
        string s => new Cell(new InlineString(new Text(SpreadsheetText.Escape(s)!) { Space = SpaceProcessingModeValues.Preserve }))
        {
            CellReference = reference, DataType = CellValues.InlineString, StyleIndex = header ? HeaderStyle : null,
        },
        DateTimeOffset t => new Cell(new CellValue(t.ToOffset(ReportingPeriod.VietnamOffset).DateTime.ToOADate().ToString("R", CultureInfo.InvariantCulture)))
        {
            CellReference = reference, StyleIndex = DateStyle,
        },
        double d when !double.IsFinite(d) => null,
        double d => new Cell(new CellValue(d.ToString("R", CultureInfo.InvariantCulture))) { CellReference = reference, DataType = CellValues.Number },
        int i => new Cell(new CellValue(i.ToString(CultureInfo.InvariantCulture))) { CellReference = reference, DataType = CellValues.Number },
        _ => throw new ArgumentException($"No cell for a {value.GetType().Name}.", nameof(value)),
    };

    private const double MinWidth = 8;
    private const double MaxWidth = 60;

    private static double WidthOf(object value) => value switch
    {
        string text => text.Length + 2,
        DateTimeOffset => 17,
        _ => 12,
    };

    private static string Column(int index)
    {
        var name = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
            name = (char)('A' + (n - 1) % 26) + name;
        return name;
    }

    private static Stylesheet Styles() => new(
        new NumberingFormats(new NumberingFormat { NumberFormatId = 164, FormatCode = "dd/mm/yyyy hh:mm" }) { Count = 1 },
        new Fonts(new Font(), new Font(new Bold())) { Count = 2 },
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })) { Count = 2 },
        new Borders(new Border()) { Count = 1 },
        new CellFormats(
            new CellFormat(),
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true }) { Count = 3 });
}
