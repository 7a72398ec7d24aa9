using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Ioc.Contracts;
using Ioc.Contracts.Supervision;

namespace Ioc.Gateway.Reports;

/// <summary>
/// The supervision report as a print-ready A4 page in Vietnamese, laid out as the province's documents
/// are: the issuing body and the national motto side by side at the top, then the title and the period.
/// The page has no script at all, and its content security policy lets nothing but its own style run.
/// </summary>
public static class SupervisionPage
{
    /// <summary>The media type.</summary>
    public const string ContentType = "text/html; charset=utf-8";

    /// <summary>Allows the page's own style element and nothing else: no script, no outside request.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

    private static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    // Keeps Vietnamese letters as they are; encodes markup characters.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private const string Style = """
        @page { size: A4; margin: 20mm 15mm 20mm 25mm; }
        body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 12pt; line-height: 1.35; color: #000; margin: 0; }
        .header { width: 100%; border-collapse: collapse; margin-bottom: 8mm; }
        .header td { border: none; text-align: center; vertical-align: top; padding: 0; font-size: 12pt; }
        .header .body-name { width: 40%; }
        .header .motto { width: 60%; }
        .header .date { font-style: italic; padding-top: 3mm; }
        .rule { display: block; width: 40%; margin: 1mm auto 0; border-top: 1px solid #000; }
        h1 { text-align: center; font-size: 14pt; margin: 0; }
        .period { text-align: center; font-style: italic; margin: 1mm 0 6mm; }
        h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; }
        table.data { width: 100%; border-collapse: collapse; font-size: 10.5pt; }
        table.data th, table.data td { border: 1px solid #000; padding: 1mm 1.5mm; vertical-align: top; }
        table.data th { background: #eee; }
        table.data td.n { text-align: right; white-space: nowrap; }
        table.data tr { break-inside: avoid; }
        .below { font-weight: bold; }
        .none { font-style: italic; }
        ul.letter { margin: 0; padding-left: 6mm; }
        .notes { font-size: 10pt; }
        """;

    /// <summary>The page's HTML.</summary>
    /// <param name="report">The report.</param>
    /// <param name="province">The province, whose People's Committee heads the page.</param>
    public static string Write(SupervisionReport report, CatalogEntity province)
    {
        var html = new StringBuilder(16 * 1024);
        var made = report.GeneratedAt.ToOffset(ReportingPeriod.VietnamOffset);
        var title = $"Báo cáo giám sát chuyển đổi số — {report.Scope.Name} — {report.Period.Name}";
        html.Append("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n<style>")
            .Append(Style).Append("</style>\n</head>\n<body>\n");

        html.Append("<table class=\"header\"><tr><td class=\"body-name\">")
            .Append(E($"UBND TỈNH {province.Name.ToUpper(Vietnamese)}")).Append("<br><b>TRUNG TÂM ĐIỀU HÀNH THÔNG MINH</b><span class=\"rule\"></span></td>")
            .Append("<td class=\"motto\"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b><span class=\"rule\"></span>")
            .Append("<div class=\"date\">").Append(E($"{province.Name}, ngày {made.Day:D2} tháng {made.Month:D2} năm {made.Year}")).Append("</div></td></tr></table>\n");
        html.Append("<h1>BÁO CÁO GIÁM SÁT CHUYỂN ĐỔI SỐ</h1>\n<p class=\"period\">")
            .Append(E($"Phạm vi: {report.Scope.Name}. Kỳ báo cáo: {report.Period.Name} (từ {Day(report.Period.Start)} đến hết {Day(report.Period.End.AddDays(-1))}); so sánh với {report.PreviousPeriod.Name}."))
            .Append("</p>\n");

        html.Append("<h2>I. Kết quả các chỉ tiêu trong kỳ</h2>\n");
        Table(html, ["Chỉ tiêu", "Yêu cầu", "Kỳ này", "Kỳ trước", "Thay đổi", "Đánh giá", "Đơn vị báo cáo / chưa đạt"],
            report.Indicators.Select(i => new[]
            {
                Cell(i.MetricName), Cell(Target(i.Target, i.UnitOfMeasure)), Num(i.Value, i.UnitOfMeasure), Num(i.PreviousValue, i.UnitOfMeasure),
                Num(i.Change, i.UnitOfMeasure, signed: true), Cell(SupervisionWorkbook.Verdict(i.Achieved), i.Achieved == false),
                Cell($"{i.UnitsReporting}/{i.Units} báo cáo; {i.UnitsBelow} chưa đạt"),
            }), "Không có chỉ tiêu nào trong phạm vi này.");

        html.Append("<h2>II. Các chỉ tiêu chưa đạt</h2>\n");
        Table(html, ["Đơn vị", "Địa bàn", "Chỉ tiêu", "Giá trị", "Yêu cầu", "Chênh lệch", "Chưa đạt từ", "Số ngày"],
            report.BelowTarget.Select(b => new[]
            {
                Cell(b.UnitName), Cell(b.LocalityName), Cell(b.MetricName), Num(b.Value, b.UnitOfMeasure),
                Cell(Target(new Target(b.Direction, b.Target), b.UnitOfMeasure)), Num(b.Gap, b.UnitOfMeasure),
                Cell((b.SinceAtLeast ? "trước " : "") + Day(b.Since)), Num(b.DaysBelow, ""),
            }), "Không có chỉ tiêu nào chưa đạt.");

        html.Append("<h2>III. Tình hình báo cáo định kỳ</h2>\n");
        Table(html, ["Đơn vị", "Địa bàn", "Chỉ tiêu", "Định kỳ", "Phải báo cáo", "Thiếu", "Thiếu từ", "Báo cáo gần nhất"],
            report.Compliance.SelectMany(u => u.Indicators.Select(m => new[]
            {
                Cell(u.UnitName), Cell(u.LocalityName), Cell(m.MetricName), Cell(m.Schedule == ReportingPeriodKind.Daily ? "hằng ngày" : "hằng tháng"),
                Num(m.Due, ""), Num(m.Missing, ""), Cell(Day(m.FirstMissing)), Cell(m.LastReported is { } l ? Day(l) : "chưa từng báo cáo"),
            })), "Tất cả đơn vị đã báo cáo đủ các kỳ đến hạn.");

        html.Append("<h2>IV. Cán bộ chuyên trách và ngân sách cho chuyển đổi số</h2>\n");
        Table(html, ["Địa phương, sở ngành", "Tình hình"],
            report.Letter.Select(s => new[]
            {
                Cell(s.EntityName),
                "<td><ul class=\"letter\">" + string.Concat(s.Indicators.Select(i =>
                    $"<li{(i.Achieved == false ? " class=\"below\"" : "")}>{E(i.Statement)}</li>")) + "</ul></td>",
            }), "Không có địa phương, sở ngành nào trong phạm vi này.");

        html.Append("<h2>V. Cảnh báo phát sinh trong kỳ</h2>\n<p>")
            .Append(E($"Số cảnh báo: {report.Alerts.Raised}; đã xác nhận: {report.Alerts.Acknowledged}"))
            .Append(E(report.Alerts.MedianMinutesToAcknowledge is { } median
                ? $"; thời gian xác nhận trung vị {Minutes(median)}, lâu nhất {Minutes(report.Alerts.MaxMinutesToAcknowledge!.Value)}."
                : "."))
            .Append("</p>\n");
        Table(html, ["Mã", "Đơn vị", "Chỉ số", "Mức độ", "Phát sinh", "Xác nhận", "Thời gian xác nhận", "Ghi chú"],
            report.Alerts.Items.Select(a => new[]
            {
                Cell(a.Id), Cell(a.UnitName), Cell(a.MetricName ?? "mất kết nối"), Cell(SupervisionWorkbook.Severity(a.Severity)),
                Cell(Time(a.RaisedAt)), Cell(a.AcknowledgedAt is { } at ? $"{Time(at)} ({a.AcknowledgedBy})" : "chưa xác nhận"),
                Cell(a.MinutesToAcknowledge is { } m ? Minutes(m) : ""), Cell(a.Comment ?? ""),
            }), "Không có cảnh báo nào phát sinh trong kỳ.");

        html.Append("<h2>Ghi chú</h2>\n<ul class=\"notes\">");
        foreach (var note in report.Notes) html.Append("<li>").Append(E(note)).Append("</li>");
        html.Append("<li>").Append(E($"Lập lúc {Time(report.GeneratedAt)} từ dữ liệu của Trung tâm Điều hành thông minh.")).Append("</li></ul>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Table(StringBuilder html, string[] headings, IEnumerable<string[]> rows, string empty)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            html.Append("<p class=\"none\">").Append(E(empty)).Append("</p>\n");
            return;
        }
        html.Append("<table class=\"data\"><thead><tr>");
        foreach (var h in headings) html.Append("<th>").Append(E(h)).Append("</th>");
        html.Append("</tr></thead><tbody>\n");
        foreach (var row in list) html.Append("<tr>").AppendJoin("", row).Append("</tr>\n");
        html.Append("</tbody></table>\n");
    }

    private static string E(string text) => Encoder.Encode(text);

    private static string Cell(string text, bool below = false) => below ? $"<td class=\"below\">{E(text)}</td>" : $"<td>{E(text)}</td>";

    private static string Num(double? value, string unitOfMeasure, bool signed = false)
    {
        if (value is not { } v) return "<td class=\"n none\">—</td>";
        var text = SupervisionReportBuilder.Format(v, unitOfMeasure);
        return $"<td class=\"n\">{E(signed && v > 0 ? "+" + text : text)}</td>";
    }

    private static string Target(Target? target, string unitOfMeasure) => target is { } t
        ? $"{SupervisionWorkbook.Direction(t.Direction)} {SupervisionReportBuilder.Format(t.Value, unitOfMeasure)}"
        : "—";

    private static string Day(DateTimeOffset t) => t.ToOffset(ReportingPeriod.VietnamOffset).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.ToOffset(ReportingPeriod.VietnamOffset).ToString("HH:mm dd/MM/yyyy", CultureInfo.InvariantCulture);

    private static string Minutes(double minutes) => minutes < 60
        ? $"{minutes.ToString("0", Vietnamese)} phút"
        : $"{(minutes / 60).ToString("0.#", Vietnamese)} giờ";
}
