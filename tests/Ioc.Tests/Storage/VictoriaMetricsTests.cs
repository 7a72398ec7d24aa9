using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Ioc.Tests.Storage;

/// <summary>The time-series path against a real VictoriaMetrics, each test with a server of its own.</summary>
public sealed class VictoriaMetricsTests
{
    private const string AllTelemetry = "{__name__=~\"telemetry_.*\"}";

    /// <summary>Whole milliseconds in the last hour, as VictoriaMetrics keeps them.</summary>
    private static DateTimeOffset RecentMs(int minutesAgo) =>
        DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(-minutesAgo).ToUnixTimeMilliseconds());

    /// <summary><paramref name="count"/> distinct points over four units and their metrics, one a millisecond apart.</summary>
    private static List<Pushed> Stream(int count, int first = 0)
    {
        (string Unit, string Metric)[] series =
        [
            ("van-lam-air-1", "pm25"), ("van-lam-air-1", "aqi"), ("tp-hung-yen-traffic-1", "vehicle-count"), ("kim-dong-water-1", "water-level"),
        ];
        var start = RecentMs(30);
        return [.. Enumerable.Range(first, count).Select(i => new Pushed(
            series[i % series.Length].Unit, series[i % series.Length].Metric, Math.Round(i * 0.25 + 3, 2), start.AddMilliseconds(i * 7)))];
    }

    private static Dictionary<(string Unit, string Metric, long Ms), double> ByIdentity(IEnumerable<Pushed> points) =>
        points.ToDictionary(p => (p.Unit, p.Metric, p.Ts.ToUnixTimeMilliseconds()), p => p.Value);

    /// <summary>Asserts the server holds exactly <paramref name="points"/>: each once, with its value.</summary>
    private static void HoldsExactly(IReadOnlyList<Pushed> points, List<VictoriaMetrics.Sample> samples)
    {
        var stored = samples.Select(s => (Key: (s.Labels["unit"], s.Name["telemetry_".Length..], s.TimestampMs), s.Value)).ToList();
        var twice = stored.GroupBy(s => s.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} points arrived more than once, such as {twice.FirstOrDefault()}");
        Assert.Equal(points.Count, stored.Count);
        var expected = ByIdentity(points);
        foreach (var (key, value) in stored)
        {
            Assert.True(expected.TryGetValue(key, out var sent), $"{key} was never sent");
            Assert.Equal(sent, value);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    public async Task Points_written_through_the_hub_read_back_from_VictoriaMetrics_with_the_same_count_values_and_schema(bool? gzip)
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings["TimeSeries:Gzip"] = gzip?.ToString();
        await using var hub = new StorageHub(settings);
        var points = Stream(2_000);
        await StorageScenario.Push(hub.CreateUnitClient(), points, 100, Cancel);
        await hub.Drained(Cancel);

        var samples = await vm.Export(AllTelemetry, Cancel);
        HoldsExactly(points, samples);
        var traffic = samples.First(s => s.Labels["unit"] == "tp-hung-yen-traffic-1");
        Assert.Equal("telemetry_vehicle-count", traffic.Name);
        Assert.Equal("tp-hung-yen", traffic.Labels["locality"]);
        Assert.Equal(";dtm-tp-hung-yen;ioc;", traffic.Labels["projects"]);
    }

    [Fact]
    public async Task When_VictoriaMetrics_stops_mid_stream_ingest_goes_on_and_after_its_restart_every_acknowledged_point_arrives_once()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        await using var hub = new StorageHub(StorageHub.VictoriaMetrics(vm.Url));
        var units = hub.CreateUnitClient();
        var points = Stream(1_500);

        await StorageScenario.Push(units, points[..600], 50, Cancel);
        await hub.Drained(Cancel);
        await vm.Stop(Cancel);

        await StorageScenario.Push(units, points[600..], 50, Cancel);
        await hub.Services.GetRequiredService<DrainStatus>().WhenFailing(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        var buffer = hub.Services.GetRequiredService<WriteAheadLog>();
        Assert.True(buffer.UnconfirmedPoints > 0, "acknowledged points wait in the buffer while the store is down");

        await vm.Start(Cancel);
        await hub.Drained(Cancel);
        HoldsExactly(points, await vm.Export(AllTelemetry, Cancel));
    }

    [Fact]
    public async Task While_VictoriaMetrics_is_down_readiness_is_degraded_not_failed_and_metrics_show_the_growing_buffer()
    {
        var vm = VictoriaMetrics.Reserve();
        await using var _ = vm;
        await using var hub = new StorageHub(StorageHub.VictoriaMetrics(vm.Url));
        await StorageScenario.Push(hub.CreateUnitClient(), Stream(120), 40, Cancel);
        await hub.Services.GetRequiredService<DrainStatus>().WhenFailing(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);

        var response = await hub.CreateClient().GetAsync("/health/ready", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        var check = body.GetProperty("checks").GetProperty(BufferExtensions.HealthCheckName);
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Equal(120, check.GetProperty("data").GetProperty("bufferedPoints").GetInt64());
        Assert.True(check.GetProperty("data").GetProperty("bufferedBytes").GetInt64() > 0);
        Assert.True(check.GetProperty("data").TryGetProperty("lastError", out var _));

        // Counters fire from the drainer's thread while the test reads, so the map must take concurrent writes.
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        var meters = hub.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(120, measured["ioc.ingest.buffer.points"]);
        Assert.True(measured["ioc.ingest.buffer.bytes"] > 0);
        Assert.True(measured["ioc.ingest.buffer.oldest_age"] >= 0);
        // Three requests of 40 points: three appends, made durable by one to three fsyncs.
        Assert.Equal(3, measured["ioc.ingest.buffer.appends"]);
        Assert.InRange(measured["ioc.ingest.buffer.fsyncs"], 1, 3);
        Assert.Contains("ioc.ingest.breaker.state", measured.Keys);
    }

    [Fact]
    public async Task When_the_buffer_is_full_ingest_answers_503_with_Retry_After_and_loses_nothing_it_accepted()
    {
        var vm = VictoriaMetrics.Reserve();
        await using var _ = vm;
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings["Buffer:MaxPoints"] = "300";
        await using var hub = new StorageHub(settings);
        var units = hub.CreateUnitClient();
        var points = Stream(1_000);

        var accepted = new List<Pushed>();
        HttpResponseMessage? refused = null;
        foreach (var request in points.Chunk(100))
        {
            var response = await StorageScenario.Post(units, request, Cancel);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.AddRange(request);
                continue;
            }
            refused = response;
            break;
        }
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(300, accepted.Count);

        await vm.Start(Cancel);
        await hub.Drained(Cancel);
        HoldsExactly(accepted, await vm.Export(AllTelemetry, Cancel));
        Assert.Equal(HttpStatusCode.Accepted, (await StorageScenario.Post(units, points[^10..], Cancel)).StatusCode);
    }

    [Fact]
    public async Task A_hub_told_to_stop_keeps_draining_its_buffer_until_the_store_has_everything()
    {
        var vm = VictoriaMetrics.Reserve();
        await using var _ = vm;
        using var data = new TempFolder("ioc-drain-");
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings["Storage:DataDirectory"] = data;
        settings["Buffer:DrainTimeout"] = "00:00:30";
        var points = Stream(300);
        var hub = new StorageHub(settings);
        await StorageScenario.Push(hub.CreateUnitClient(), points, 50, Cancel);
        await hub.Services.GetRequiredService<DrainStatus>().WhenFailing(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal(300, hub.Services.GetRequiredService<WriteAheadLog>().UnconfirmedPoints);

        // The store comes back only once the hub is already stopping.
        var stopping = hub.DisposeAsync().AsTask();
        await vm.Start(Cancel);
        await stopping.WaitAsync(TimeSpan.FromSeconds(60), Cancel);

        HoldsExactly(points, await vm.Export(AllTelemetry, Cancel));
        using var buffer = new WriteAheadLog(Path.Combine(data, "buffer"), new BufferOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<WriteAheadLog>.Instance);
        Assert.Equal(0, buffer.UnconfirmedPoints);
    }

    [Fact]
    public async Task Points_a_killed_hub_held_in_its_buffer_arrive_once_it_restarts()
    {
        var vm = VictoriaMetrics.Reserve();
        await using var _ = vm;
        using var data = new TempFolder("ioc-crash-");
        var settings = StorageHub.VictoriaMetrics(vm.Url)
            .Append(new("Storage:DataDirectory", data))
            .ToDictionary(s => s.Key, s => s.Value!);
        var points = Stream(200);
        await using (var doomed = await HubProcess.StartDevelopmentAsync(settings, Cancel))
        {
            await StorageScenario.Push(doomed.CreateClient(HubFactory.DevToken), points, 40, Cancel);
            doomed.Kill();
        }
        Assert.Contains(Directory.GetFiles(Path.Combine(data, "buffer"), "*.wal"), f => new FileInfo(f).Length > 0);

        await vm.Start(Cancel);
        await using var restarted = await HubProcess.StartDevelopmentAsync(settings, Cancel);
        // Another process: nothing to wait on but the server itself, so ask it, within a bound.
        List<VictoriaMetrics.Sample> samples = [];
        for (var attempt = 0; attempt < 120 && samples.Count < points.Count; attempt++)
        {
            if (attempt > 0) await Task.Delay(TimeSpan.FromMilliseconds(500), Cancel);
            samples = await vm.Export(AllTelemetry, Cancel);
        }
        Assert.True(samples.Count == points.Count, $"{samples.Count} of {points.Count} points arrived. Hub log:\n{restarted.Output}");
        HoldsExactly(points, samples);
    }

    [Fact]
    public async Task History_from_VictoriaMetrics_matches_history_from_the_embedded_store_for_the_same_data()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        await using var remote = new StorageHub(StorageHub.VictoriaMetrics(vm.Url));
        await using var embedded = new StorageHub(new Dictionary<string, string?>());
        var end = StorageScenario.RecentEnd();
        var points = StorageScenario.AirQuality(end);
        await Task.WhenAll(
            StorageScenario.Push(remote.CreateUnitClient(), points, 25, Cancel),
            StorageScenario.Push(embedded.CreateUnitClient(), points, 25, Cancel));
        await Task.WhenAll(remote.Drained(Cancel), embedded.Drained(Cancel));
        await vm.ForceFlush(Cancel);

        var catalog = embedded.Services.GetRequiredService<Contracts.Catalog>();
        foreach (var entity in new[] { "van-lam-air-1", "hung-yen" })
        foreach (var (from, to, step) in StorageScenario.Ranges(end))
        foreach (var agg in StorageScenario.Aggregates)
        {
            var fromVm = await StorageScenario.History(remote, entity, "pm25", from, to, step, agg, Cancel);
            var fromSqlite = await StorageScenario.History(embedded, entity, "pm25", from, to, step, agg, Cancel);
            var because = $"{agg} of {entity} from {from:HH:mm} by {step}";
            StorageScenario.SameSteps(fromSqlite.Points, fromVm.Points, because + ", VictoriaMetrics against the embedded store");
            StorageScenario.SameSteps(StorageScenario.Expected(points, catalog, entity, "pm25", from, to, step, agg), fromVm.Points, because);
        }
    }
}
