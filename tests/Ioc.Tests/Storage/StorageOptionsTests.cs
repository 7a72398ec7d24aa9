namespace Ioc.Tests.Storage;

public sealed class StorageOptionsTests
{
    [Theory]
    [InlineData("VictoriaMetrics", null, null, "set TimeSeries:Url, or both TimeSeries:WriteUrl and TimeSeries:QueryUrl")]
    [InlineData("VictoriaMetrics", "victoria-metrics:8428", null, "TimeSeries:Url 'victoria-metrics:8428' is not an absolute http(s) URL")]
    [InlineData("InfluxDB", "http://127.0.0.1:8086", null, "TimeSeries:Token is required")]
    [InlineData("Embedded", "http://127.0.0.1:8428", null, "set TimeSeries:Server")]
    [InlineData("Graphite", "http://127.0.0.1:8428", null, "TimeSeries:Server")]
    public void A_hub_with_inconsistent_time_series_settings_refuses_to_start_and_says_what_is_wrong(string server, string? url, string? token, string message)
    {
        using var hub = new StorageHub(new Dictionary<string, string?>
        {
            ["TimeSeries:Server"] = server,
            ["TimeSeries:Url"] = url,
            ["TimeSeries:Token"] = token,
        });
        Assert.Contains(message, hub.StartUpRefusal());
    }

    [Theory]
    [InlineData("Buffer:MaxPoints", "0")]
    [InlineData("Buffer:DrainTimeout", "00:00:00")]
    [InlineData("TimeSeries:BatchLines", "10")]
    [InlineData("TimeSeries:FlushInterval", "00:01:00")]
    [InlineData("History:MaxSteps", "1")]
    [InlineData("TimeSeries:QueryRetryAttempts", "0")]
    [InlineData("Storage:Retention:SliceRows", "10")]
    [InlineData("Ingest:LivePathRoundPoints", "10")]
    [InlineData("Ingest:LiveUnitInterval", "00:00:02")]
    [InlineData("Ingest:LiveUnitMaxInterval", "00:00:06")]
    [InlineData("Hub:RollupResendDelay", "00:10:00")]
    public void A_hub_with_an_out_of_range_storage_setting_refuses_to_start_and_names_it(string key, string value)
    {
        using var hub = new StorageHub(new Dictionary<string, string?> { [key] = value });
        Assert.Contains(key.Split(':')[1], hub.StartUpRefusal());
    }
}
