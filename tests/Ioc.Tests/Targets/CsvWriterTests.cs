using System.Globalization;
using Ioc.Gateway.Export;

namespace Ioc.Tests.Targets;

/// <summary>The CSV writer's byte layout, which Excel depends on.</summary>
public sealed class CsvWriterTests
{
    private static async Task<byte[]> Write(Func<CsvWriter, Task> rows)
    {
        using var stream = new MemoryStream();
        await using (var csv = new CsvWriter(stream))
            await rows(csv);
        return stream.ToArray();
    }

    [Fact]
    public async Task A_file_starts_with_the_UTF8_byte_order_mark_and_every_row_ends_with_CRLF()
    {
        var bytes = await Write(async csv =>
        {
            await csv.WriteRowAsync("a", "b");
            await csv.WriteRowAsync("Hưng Yên", "Phù Cừ");
        });
        Assert.Equal([0xEF, 0xBB, 0xBF, (byte)'a', (byte)',', (byte)'b', 0x0D, 0x0A, .. Encoding.UTF8.GetBytes("Hưng Yên,Phù Cừ\r\n")], bytes);
    }

    [Fact]
    public async Task An_empty_file_is_just_the_byte_order_mark()
    {
        Assert.Equal([0xEF, 0xBB, 0xBF], await Write(_ => Task.CompletedTask));
    }

    [Fact]
    public async Task Fields_holding_a_comma_a_quote_or_a_line_break_are_quoted_with_quotes_doubled_and_others_are_not()
    {
        var bytes = await Write(async csv => await csv.WriteRowAsync("Sở TT&TT, tỉnh", "trạm \"số 1\"", "dòng 1\ndòng 2", "dấu\rvề", null, "", " khoảng trắng "));
        Assert.Equal(
            "\uFEFF\"Sở TT&TT, tỉnh\",\"trạm \"\"số 1\"\"\",\"dòng 1\ndòng 2\",\"dấu\rvề\",,, khoảng trắng \r\n",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Numbers_have_a_decimal_point_and_no_grouping_even_under_a_Vietnamese_culture()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("vi-VN");
        try
        {
            Assert.Equal(",", CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator);
            Assert.Equal("1234567.25", CsvWriter.Number(1234567.25).Text);
            Assert.Equal("0.2", CsvWriter.Number(0.2).Text);
            Assert.Equal("-3", CsvWriter.Number(-3).Text);
            Assert.Equal("", CsvWriter.Number(double.NaN).Text);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Times_are_ISO_8601_in_Vietnam_time_with_the_offset()
    {
        Assert.Equal("2026-03-15T00:30:05+07:00", CsvWriter.Time(new DateTimeOffset(2026, 3, 14, 17, 30, 5, TimeSpan.Zero)));
        Assert.Equal("", CsvWriter.Time((DateTimeOffset?)null));
    }

    [Fact]
    public async Task A_metric_history_has_one_row_per_point_naming_entity_and_metric()
    {
        var catalog = Infrastructure.HubCluster.SeededCatalog();
        static async IAsyncEnumerable<(DateTimeOffset, double)> Points()
        {
            yield return (new DateTimeOffset(2026, 3, 14, 1, 0, 0, TimeSpan.Zero), 41.5);
            yield return (new DateTimeOffset(2026, 3, 14, 1, 1, 0, TimeSpan.Zero), 52);
            await Task.CompletedTask;
        }
        using var stream = new MemoryStream();

        await HistoryCsv.WriteAsync(stream, catalog.Entity("van-lam-air-1"), catalog.Metric("pm25"), Points(), TestContext.Current.CancellationToken);

        var name = catalog.Entity("van-lam-air-1").Name;
        Assert.Equal(
            "\uFEFFentity,entityName,metric,metricName,unitOfMeasure,time,value\r\n" +
            $"van-lam-air-1,{name},pm25,Bụi mịn PM2.5,µg/m³,2026-03-14T08:00:00+07:00,41.5\r\n" +
            $"van-lam-air-1,{name},pm25,Bụi mịn PM2.5,µg/m³,2026-03-14T08:01:00+07:00,52\r\n",
            Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal("van-lam-air-1-pm25-history.csv", HistoryCsv.FileName("van-lam-air-1", "pm25"));
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\",\"bấm\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"bấm\"\")\"")]
    [InlineData("+84 221 3862 000", "'+84 221 3862 000")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("-3", "'-3")]
    [InlineData("@SUM(A1:A9)", "'@SUM(A1:A9)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("Đã xử lý = xong", "Đã xử lý = xong")]
    [InlineData("", "")]
    public async Task Text_that_starts_like_a_formula_is_prefixed_with_an_apostrophe_and_other_text_is_left_alone(string text, string written)
    {
        var bytes = await Write(async csv => await csv.WriteRowAsync(text, "x"));
        Assert.Equal($"\uFEFF{written},x\r\n", Encoding.UTF8.GetString(bytes));
        var mixed = await Write(async csv => await csv.WriteRowAsync(text, CsvWriter.Number(1)));
        Assert.Equal($"\uFEFF{written},1\r\n", Encoding.UTF8.GetString(mixed));
    }

    [Fact]
    public async Task A_negative_number_stays_a_number_while_the_same_characters_as_text_are_escaped()
    {
        var bytes = await Write(async csv => await csv.WriteRowAsync("-0.13", CsvWriter.Number(-0.13), CsvWriter.Number(-1e-7), CsvWriter.Number((double?)null)));
        Assert.Equal("\uFEFF'-0.13,-0.13,-1E-07,\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task A_history_export_escapes_a_name_that_starts_like_a_formula_and_keeps_negative_values_numeric()
    {
        var catalog = Infrastructure.HubCluster.SeededCatalog();
        var entity = catalog.Entity("tien-lu-water-1") with { Name = "=cmd|' /C calc'!A0" };
        var metric = catalog.Metric("water-level") with { Name = "@Mực nước", UnitOfMeasure = "-m" };
        static async IAsyncEnumerable<(DateTimeOffset, double)> Points()
        {
            yield return (new DateTimeOffset(2026, 3, 14, 1, 0, 0, TimeSpan.Zero), -0.25);
            await Task.CompletedTask;
        }
        using var stream = new MemoryStream();

        await HistoryCsv.WriteAsync(stream, entity, metric, Points(), TestContext.Current.CancellationToken);

        var row = Encoding.UTF8.GetString(stream.ToArray()).Split("\r\n")[1];
        Assert.Equal("tien-lu-water-1,'=cmd|' /C calc'!A0,water-level,'@Mực nước,'-m,2026-03-14T08:00:00+07:00,-0.25", row);
    }

    [Fact]
    public void A_gap_is_exact_in_decimal_terms_on_either_side_of_a_target()
    {
        Assert.Equal(0.2, new Target(TargetDirection.AtLeast, 1.0).GapTo(0.8));
        Assert.Equal(12.5, new Target(TargetDirection.AtMost, 50).GapTo(62.5));
    }
}
