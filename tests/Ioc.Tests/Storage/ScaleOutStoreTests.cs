namespace Ioc.Tests.Storage;

/// <summary>
/// A time-series store whose writes and queries go to different endpoints, as in a VictoriaMetrics cluster
/// (vminsert's <c>/insert/{tenant}/influx</c>, vmselect's <c>/select/{tenant}/prometheus</c>).
/// </summary>
public sealed class ScaleOutStoreTests
{
    [Theory]
    [InlineData("vmagent")]
    [InlineData("path")]
    public async Task History_answers_from_the_query_endpoint_what_was_written_through_a_separate_write_endpoint(string writeThrough)
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        await using var agent = writeThrough == "vmagent" ? await VmAgent.Run(vm, Cancel) : null;
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings.Remove("TimeSeries:Url");
        // Through vmagent's root, or straight to the server under a path prefix as vminsert's tenant path is.
        settings["TimeSeries:WriteUrl"] = agent?.Url ?? vm.Url + "/influx";
        // The single server also answers Prometheus queries under /prometheus: a base URL with a path, as vmselect's.
        settings["TimeSeries:QueryUrl"] = vm.Url + "/prometheus";
        await using var hub = new StorageHub(settings);

        var end = StorageScenario.RecentEnd();
        var points = StorageScenario.AirQuality(end);
        await StorageScenario.Push(hub.CreateUnitClient(), points, 25, Cancel);
        await hub.Drained(Cancel);
        // The hub's buffer is confirmed once vmagent has accepted the points; vmagent forwards them on its own
        // schedule and offers no signal for it, so this waits (bounded) for the server to hold them all.
        using (var forwarded = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
        {
            forwarded.CancelAfter(TimeSpan.FromSeconds(60));
            while ((await vm.Export("{__name__=\"telemetry_pm25\"}", forwarded.Token)).Count < points.Count)
                await Task.Delay(TimeSpan.FromMilliseconds(200), forwarded.Token);
        }

        await StorageScenario.AnswersAsPushed(hub, points, ["van-lam-air-1", "hung-yen"], [(end.AddHours(-2), end, TimeSpan.FromMinutes(10))],
            ["avg", "count", "last"], $"via {writeThrough}", Cancel);
    }
}
