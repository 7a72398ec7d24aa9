using System.Globalization;
using System.Text;
using Ioc.Contracts;
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
            Assert.Equal("1234567.25", CsvWriter.Number(1234567.25));
            Assert.Equal("0.2", CsvWriter.Number(0.2));
            Assert.Equal("-3", CsvWriter.Number(-3));
            Assert.Equal("", CsvWriter.Number(double.NaN));
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

    [Fact]
    public void A_gap_is_exact_in_decimal_terms_on_either_side_of_a_target()
    {
        Assert.Equal(0.2, new Target(TargetDirection.AtLeast, 1.0).GapTo(0.8));
        Assert.Equal(12.5, new Target(TargetDirection.AtMost, 50).GapTo(62.5));
    }
}
