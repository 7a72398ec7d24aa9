using Ioc.Ingest.LineProtocol;

namespace Ioc.Tests.LineProtocol;

/// <summary>A line's metric is checked against its unit's bits, first seen or remembered, in catalogs of more than 64 metrics too.</summary>
public sealed class MetricBitsTests
{
    // 70 metrics, so that some lie past the 64 held in the value itself.
    private static readonly Contracts.Catalog Wide = Contracts.Catalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes($$"""
        {
          "metrics": [{{string.Join(",", Enumerable.Range(0, 70).Select(i =>
              $$"""{"id": "m{{i:D2}}", "name": "Chỉ số {{i}}", "unitOfMeasure": "1", "interval": "00:01:00", "rollup": "Average"}"""))}}],
          "entities": [
            {"id": "hung-yen", "kind": "Province", "name": "Hưng Yên"},
            {"id": "van-lam", "kind": "District", "name": "Văn Lâm"},
            {"id": "wide-1", "kind": "Unit", "name": "Trạm 1", "locality": "van-lam", "metrics": ["m00", "m63", "m64", "m69"]},
            {"id": "wide-2", "kind": "Unit", "name": "Trạm 2", "locality": "van-lam", "metrics": ["m01", "m65"]}
          ]
        }
        """)));

    [Theory]
    [InlineData("wide-1", "m00", true)]
    [InlineData("wide-1", "m63", true)]
    [InlineData("wide-1", "m64", true)]
    [InlineData("wide-1", "m69", true)]
    [InlineData("wide-1", "m01", false)]
    [InlineData("wide-1", "m65", false)]
    [InlineData("wide-2", "m65", true)]
    [InlineData("wide-2", "m64", false)]
    [InlineData("wide-2", "m00", false)]
    public void A_metric_is_taken_only_from_a_unit_that_reports_it_whether_its_tags_are_new_or_remembered(string unit, string metric, bool reports)
    {
        var unitEntity = Wide.Entity(unit);
        Assert.Equal(reports, MetricBits.Of(unitEntity, Wide).Contains(Wide.MetricOrdinal(metric)));

        var lines = new TelemetryLines(Wide);
        var body = Encoding.UTF8.GetBytes($"t,unit={unit} {metric}=1.5");
        // The first parse checks the tags and remembers them; the second finds them remembered.
        for (var pass = 0; pass < 2; pass++)
        {
            var points = new List<TelemetryPoint>();
            var error = lines.Parse(body, Parsing.Rules(), points);
            if (reports)
            {
                Assert.Null(error);
                Assert.Equal((unit, metric, 1.5), (points[0].Unit, points[0].Metric, points[0].Value));
            }
            else
            {
                Assert.NotNull(error);
                Assert.Contains($"unit '{unit}' does not report metric '{metric}'", error.Message);
            }
        }
    }

    [Fact]
    public void A_metric_the_catalog_does_not_have_is_in_no_units_bits()
    {
        Assert.Equal(-1, Wide.MetricOrdinal("m70"));
        Assert.False(MetricBits.Of(Wide.Entity("wide-1"), Wide).Contains(-1));
        Assert.False(default(MetricBits).Contains(69));
    }
}
