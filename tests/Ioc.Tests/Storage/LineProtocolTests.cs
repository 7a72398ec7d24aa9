using InfluxDB.Client.Api.Domain;
using Ioc.Ingest.Telemetry;

namespace Ioc.Tests.Storage;

public sealed class LineProtocolTests
{
    private static readonly Contracts.Catalog Catalog = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));
    private static readonly DateTimeOffset At = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
    private static readonly long AtSeconds = At.ToUnixTimeSeconds();

    private static (string Text, WritePrecision Precision) Format(params TelemetryPoint[] points) => new LineProtocolFormatter(Catalog).Format(points);

    [Fact]
    public void A_point_becomes_a_telemetry_line_tagged_with_its_unit_locality_department_and_sorted_projects()
    {
        var (text, _) = Format(
            new TelemetryPoint("tp-hung-yen-air-1", "pm25", 35.5, At),
            new TelemetryPoint("so-tttt-office", "dt-budget-share", 1.25, At));
        Assert.Equal(
            $"telemetry,locality=tp-hung-yen,projects=;dtm-tp-hung-yen;ioc;,unit=tp-hung-yen-air-1 pm25=35.5 {AtSeconds}\n" +
            $"telemetry,department=so-tttt,locality=tp-hung-yen,projects=;ioc;,unit=so-tttt-office dt-budget-share=1.25 {AtSeconds}",
            text);
    }

    [Fact]
    public void A_unit_in_no_project_has_no_projects_tag()
    {
        var (text, _) = Format(new TelemetryPoint("so-noi-vu-office", "it-officials", 2, At));
        Assert.Equal($"telemetry,department=so-noi-vu,locality=tp-hung-yen,unit=so-noi-vu-office it-officials=2 {AtSeconds}", text);
    }

    [Fact]
    public void Metrics_of_one_unit_at_one_instant_share_a_line_and_a_repeated_metric_starts_a_new_one()
    {
        var (text, _) = Format(
            new TelemetryPoint("van-lam-air-1", "pm25", 30, At),
            new TelemetryPoint("van-lam-air-1", "aqi", 80, At),
            new TelemetryPoint("van-lam-air-1", "pm25", 31, At),
            new TelemetryPoint("van-lam-air-1", "pm25", 32, At.AddSeconds(1)));
        Assert.Equal(
            $"telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1 pm25=30,aqi=80 {AtSeconds}\n" +
            $"telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1 pm25=31 {AtSeconds}\n" +
            $"telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1 pm25=32 {AtSeconds + 1}",
            text);
    }

    [Theory]
    [InlineData(0L, WritePrecision.S)]
    [InlineData(TimeSpan.TicksPerMillisecond * 250, WritePrecision.Ms)]
    [InlineData(10L, WritePrecision.Us)]
    [InlineData(1L, WritePrecision.Ns)]
    public void Timestamps_use_the_coarsest_precision_that_loses_nothing(long extraTicks, WritePrecision expected)
    {
        var (text, precision) = Format(
            new TelemetryPoint("van-lam-air-1", "pm25", 1, At),
            new TelemetryPoint("van-lam-air-1", "pm25", 2, At.AddTicks(extraTicks)));
        Assert.Equal(expected, precision);
        var unitTicks = expected switch
        {
            WritePrecision.S => TimeSpan.TicksPerSecond,
            WritePrecision.Ms => TimeSpan.TicksPerMillisecond,
            WritePrecision.Us => 10,
            _ => 1,
        };
        var last = long.Parse(text[(text.LastIndexOf(' ') + 1)..]);
        var ticks = (At.AddTicks(extraTicks) - DateTimeOffset.UnixEpoch).Ticks;
        Assert.Equal(expected == WritePrecision.Ns ? ticks * 100 : ticks / unitTicks, last);
    }

    [Fact]
    public void Values_keep_every_digit()
    {
        var (text, _) = Format(new TelemetryPoint("van-lam-air-1", "pm25", 0.1 + 0.2, At), new TelemetryPoint("van-lam-air-1", "aqi", 1e-7, At));
        Assert.Contains("pm25=0.30000000000000004,aqi=1E-07 ", text);
    }

    [Fact]
    public void A_units_own_tags_are_kept_but_cannot_replace_the_tags_derived_from_the_catalog()
    {
        var (text, _) = Format(new TelemetryPoint("van-lam-air-1", "pm25", 1, At, @"locality=elsewhere,site=cổng\ số\ 2,unit=forged"));
        Assert.Equal($@"telemetry,locality=van-lam,projects=;ioc;,unit=van-lam-air-1,site=cổng\ số\ 2 pm25=1 {AtSeconds}", text);
    }
}
