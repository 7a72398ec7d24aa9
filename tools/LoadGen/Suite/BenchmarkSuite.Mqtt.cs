namespace Ioc.LoadGen.Suite;

internal sealed partial class BenchmarkSuite
{
    // ---------------------------------------------------------------- 9. MQTT beside JSON HTTP (issue 16)

    /// <summary>
    /// The same points over MQTT (QoS 1 to the embedded listener) and over JSON HTTP, against the same hub in
    /// the same runs. A message on <c>ioc/{unit}</c> carries one unit's points, so both sides send one unit's
    /// metrics at a time (unit-major, B = metrics per unit). First the acknowledged rate, unbounded, with C
    /// connections each way; then ingest-to-screen latency at the base rate (every series once a second) with
    /// one screen, as scenario 2 measures it for HTTP.
    /// </summary>
    private async Task Mqtt()
    {
        var b = _o.Metrics;
        List<double> json = [], mqtt = [], ratio = [], jsonCpu = [], mqttCpu = [];
        List<double> jsonP50 = [], mqttP50 = [], jsonP99 = [], mqttP99 = [], jsonAck99 = [], mqttAck99 = [];
        var failed = new List<string>();
        var rate = (double)_series.Count;
        for (var run = 1; run <= _o.Runs; run++)
        {
            var port = FreePort.Next();
            await using var vm = await SuiteServers.VictoriaMetrics(_o, $"s9-vm-{run}", _ct);
            await using var hub = await SuiteServers.Hub(_o, $"s9-hub-{run}", _catalog, vm, _ct, ["--Mqtt:Enabled=true", $"--Mqtt:Port={port}"]);
            var warm = TimeSpan.FromSeconds(_o.Quick ? 1 : 5);
            foreach (var p in new[] { Protocol.Json, Protocol.Mqtt })
                await PushUnits(hub, p, port, _o.Concurrency, null, warm, $"warm-up {p}", quiet: true);

            var before = hub.Process.CpuTime();
            var j = await PushUnits(hub, Protocol.Json, port, _o.Concurrency, null, _o.IngestDuration, $"run {run} JSON HTTP B={b}");
            var between = hub.Process.CpuTime();
            var m = await PushUnits(hub, Protocol.Mqtt, port, _o.Concurrency, null, _o.IngestDuration, $"run {run} MQTT QoS 1 B={b}");
            var after = hub.Process.CpuTime();
            json.Add(j.AckedPerSecond);
            mqtt.Add(m.AckedPerSecond);
            if (j.AckedPerSecond > 0) ratio.Add(m.AckedPerSecond / j.AckedPerSecond);
            jsonCpu.Add((between - before) / j.Elapsed * 100);
            mqttCpu.Add((after - between) / m.Elapsed * 100);
            foreach (var r in new[] { j, m })
                if (r.PointsFailed > 0) failed.Add($"{r.Label}: {r.PointsFailed:N0} points failed: {r.FirstError}");

            var bearer = await hub.Target.DevBearerAsync("operator", _ct);
            await using var screens = await ScreenPool.ConnectAsync(hub.Target, bearer, _series, 1, 4, true, Log, _ct, parallel: 16);
            var jl = await PushUnits(hub, Protocol.Json, port, _o.SteadyConcurrency, rate, _o.SteadyDuration, $"run {run} JSON HTTP {rate:N0}/s", screens);
            var ml = await PushUnits(hub, Protocol.Mqtt, port, _o.SteadyConcurrency, rate, _o.SteadyDuration, $"run {run} MQTT QoS 1 {rate:N0}/s", screens);
            jsonP50.Add(jl.Screens!.Unit.P50); jsonP99.Add(jl.Screens.Unit.P99); jsonAck99.Add(jl.RequestLatency.P99);
            mqttP50.Add(ml.Screens!.Unit.P50); mqttP99.Add(ml.Screens.Unit.P99); mqttAck99.Add(ml.RequestLatency.P99);
            foreach (var r in new[] { jl, ml })
                if (r.PointsFailed > 0) failed.Add($"{r.Label}: {r.PointsFailed:N0} points failed: {r.FirstError}");
        }

        var at = $"unit-major, B={b}, C={_o.Concurrency}";
        _results.Add(new Row("9", $"MQTT QoS 1 acknowledged, {at}", Unit.PointsPerSecond, mqtt, "JSON HTTP, same points, B and C", json,
            Note: $"CPU, as % of one core: hub over MQTT {Results.Median(mqttCpu, Unit.Percent)}, over JSON HTTP {Results.Median(jsonCpu, Unit.Percent)}"));
        _results.Add(new Row("9", $"ratio MQTT/JSON HTTP, {at}", Unit.Ratio, ratio, Target: "≥ 1.0", Verdict: AtLeast(1.0, ratio, Unit.Ratio),
            Note: "acknowledged rate; an MQTT acknowledgement is a PUBACK, sent once the points are in the write-ahead buffer"));
        var load = $"K=1, {rate:N0} points/s, C={_o.SteadyConcurrency}";
        _results.Add(new Row("9", $"ingest-to-screen p50 over MQTT QoS 1, {load}", Unit.Milliseconds, mqttP50, "JSON HTTP", jsonP50));
        _results.Add(new Row("9", $"ingest-to-screen p99 over MQTT QoS 1, {load}", Unit.Milliseconds, mqttP99, "JSON HTTP", jsonP99,
            Target: "≤ 50 ms", Verdict: AtMost(50, mqttP99, Unit.Milliseconds),
            Note: $"publish-to-PUBACK p99 {Results.Median(mqttAck99, Unit.Milliseconds)}, request round trip p99 {Results.Median(jsonAck99, Unit.Milliseconds)}"));
        foreach (var f in failed) _results.Note(f);
    }

    /// <summary>One unit's metrics a request or message, over <paramref name="protocol"/>.</summary>
    private Task<LoadReport> PushUnits(HubProcess hub, Protocol protocol, int mqttPort, int concurrency, double? rate, TimeSpan duration, string label,
        ScreenPool? screens = null, bool quiet = false) =>
        new LoadGenerator(hub.Target, _series, new LoadOptions
        {
            Protocol = protocol,
            BatchSize = _o.Metrics,
            Shape = BatchShape.UnitMajor,
            Concurrency = concurrency,
            Rate = rate,
            Duration = duration,
            Label = label,
            MqttPort = mqttPort,
        }, quiet ? null : Log).RunAsync(screens, _ct);
}
