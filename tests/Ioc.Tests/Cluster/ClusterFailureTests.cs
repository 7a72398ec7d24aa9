using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Ioc.Contracts;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Cluster;

/// <summary>
/// The hub as a real cluster (Silo, Gateway and Ingest processes on PostgreSQL) under failure: unit state stored
/// in PostgreSQL, what screens see, and, when a silo is killed, that every point Ingest acknowledged reaches the
/// time-series server. Alert and acknowledgement state across a kill is not checked here yet.
/// </summary>
public sealed class ClusterFailureTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    /// <summary>
    /// How soon live updates resume after a silo is killed: membership declares it dead within a few seconds
    /// (probe timeout 1 s, 2 missed probes in these tests), and if the live-feed registry lived on it, the gateways
    /// re-register within their 15 s period; the push notifiers re-read the registry every 3 s.
    /// </summary>
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StreamPeriod = TimeSpan.FromMilliseconds(200);
    private const int StreamTicks = 1500; // at most five minutes of points
    private const double QuietValue = 4242;

    private static readonly Contracts.Catalog Catalog = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    /// <summary>Every unit with a metric reported at least once a minute, with that metric.</summary>
    private static readonly (string Unit, string Metric)[] Streamed = Catalog.Entities
        .Where(e => e.Kind == EntityKind.Unit)
        .Select(e => (e.Id, Metric: e.Metrics.FirstOrDefault(m => Catalog.Metric(m).Interval <= TimeSpan.FromMinutes(1))))
        .Where(s => s.Metric is not null)
        .Select(s => (s.Id, s.Metric!))
        .ToArray();

    private const string AllTelemetry = "{__name__=~\"telemetry_.*\"}";

    private static string? SentValue(TelemetryStream stream, double value) =>
        value == Math.Floor(value) && value >= 1 && value <= stream.LastSent ? null : $"{value} was never sent (last sent {stream.LastSent})";

    [Fact]
    public async Task Killing_a_silo_moves_its_units_to_the_survivors_with_their_stored_state_live_updates_resume_and_no_acknowledged_point_is_lost()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var timeSeries = await VictoriaMetrics.Run(ct);
        await using var cluster = await ClusterUnderTest.CreateAsync(postgres);
        await Diagnose(cluster, async () =>
        {
            var silos = await cluster.StartAsync(HubRole.Silo, 3);
            var gateway = (await cluster.StartAsync(HubRole.Gateway))[0];
            var ingest = (await cluster.StartAsync(HubRole.Ingest, extra: ClusterUnderTest.TimeSeries(timeSeries)))[0];
            await using var writes = await cluster.ListenForStateWritesAsync();

            // A quiet unit reports once; the silo it lives on is the one to kill.
            var quiet = Catalog.Entities.First(e => e.Kind == EntityKind.Unit && e.Metrics.Contains("it-officials")).Id;
            await Report(ingest, quiet, "it-officials", QuietValue, ct);
            await writes.WaitForWriteOf(quiet, Patience);
            var victim = await cluster.SiloHosting(quiet);
            var streamedOnVictim = new List<string>();
            foreach (var (unit, _) in Streamed)
                if (await cluster.SiloHosting(unit) == victim) streamedOnVictim.Add(unit);
            Assert.NotEmpty(streamedOnVictim);
            var watched = streamedOnVictim.Take(5).ToList();
            var metricOf = Streamed.ToDictionary(s => s.Unit, s => s.Metric);

            await using var stream = new TelemetryStream(ingest.BaseAddress, ClusterUnderTest.DevToken, Streamed, StreamPeriod, StreamTicks);
            await using var screen = new TestScreen([gateway.BaseAddress],
                (entity, _, value, _) => entity == quiet ? (value == QuietValue ? null : $"{value} is not the stored {QuietValue}") : SentValue(stream, value));
            await screen.ConnectAsync(ct);
            foreach (var unit in watched) await screen.SubscribeAsync(unit, ct);
            await screen.WaitUntilShown(watched[0], metricOf[watched[0]], v => !v.FromSnapshot, Patience, ct);

            var killedAt = TimeProvider.System.GetTimestamp();
            victim.Kill();
            // Read after the process is gone: anything newer can only have been handled by a survivor.
            var sentBeforeKill = stream.LastSent;

            // Live updates resume for a unit that lived on the killed silo, with points sent after the kill.
            await screen.WaitUntilShown(watched[0], metricOf[watched[0]], v => v.Value > sentBeforeKill, ResumeBound, ct);
            TestContext.Current.SendDiagnosticMessage($"Live updates resumed {TimeProvider.System.GetElapsedTime(killedAt).TotalSeconds:0.0} s after the kill (bound {ResumeBound}).");
            Assert.NotSame(victim, await cluster.SiloHosting(watched[0]));

            // The quiet unit comes back on a survivor with the value it had stored, and screens are shown it.
            await screen.SubscribeAsync(quiet, ct);
            await screen.WaitUntilShown(quiet, "it-officials", v => v.FromSnapshot, Patience, ct);
            var host = await cluster.SiloHosting(quiet);
            Assert.NotSame(victim, host);
            Assert.Contains(silos, s => s == host);
            Assert.Empty(screen.Violations);

            // No point acknowledged by Ingest is missing from the time-series server. SIGTERM makes Ingest drain
            // its buffer before it exits, so once it has exited the server holds all it ever will.
            await stream.StopAsync();
            Assert.Equal(0, await ingest.StopAsync(Patience));
            var stored = (await timeSeries.Export(AllTelemetry, ct))
                .Select(s => (s.Labels["unit"], s.Name["telemetry_".Length..], s.TimestampMs, s.Value))
                .ToHashSet();
            var acknowledged = stream.Acknowledged;
            Assert.NotEmpty(acknowledged);
            var missing = acknowledged.Where(p => !stored.Contains((p.Unit, p.Metric, p.Timestamp.ToUnixTimeMilliseconds(), p.Value))).ToList();
            Assert.True(missing.Count == 0,
                $"{missing.Count} of {acknowledged.Count} acknowledged points are not in VictoriaMetrics, such as {missing.FirstOrDefault()}");
        });
    }

    [Fact]
    public async Task When_a_gateway_restarts_its_screens_reconnect_through_another_and_resynchronise_without_a_wrong_value()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterUnderTest.CreateAsync(postgres);
        await Diagnose(cluster, async () =>
        {
            await cluster.StartAsync(HubRole.Silo, 2);
            var gateways = await cluster.StartAsync(HubRole.Gateway, 2);
            var ingest = (await cluster.StartAsync(HubRole.Ingest))[0];
            var (unit, metric) = Streamed[0];

            await using var stream = new TelemetryStream(ingest.BaseAddress, ClusterUnderTest.DevToken, Streamed, StreamPeriod, StreamTicks);
            string? Judge(string e, string m, double value, double? before) =>
                SentValue(stream, value) ?? (value < before ? $"went back from {before} to {value}" : null);
            await using var screen = new TestScreen([.. gateways.Select(g => g.BaseAddress)], Judge);
            await screen.ConnectAsync(ct);
            await screen.SubscribeAsync(unit, ct);
            await screen.WaitUntilShown(unit, metric, v => !v.FromSnapshot, Patience, ct);

            Assert.Equal(0, await gateways[0].StopAsync(Patience));
            var through = await screen.Reconnected.ReadAsync(ct).AsTask().WaitAsync(Patience, ct);
            Assert.Equal(gateways[1].BaseAddress, through);
            var sentAtReconnect = stream.LastSent;
            await screen.WaitUntilShown(unit, metric, v => v.Value > sentAtReconnect && v.Gateway == through, Patience, ct);

            // The restarted gateway registers its feed again and serves screens of its own.
            var restarted = (await cluster.StartAsync(HubRole.Gateway))[0];
            await using var second = new TestScreen([restarted.BaseAddress], Judge);
            await second.ConnectAsync(ct);
            await second.SubscribeAsync(unit, ct);
            var sentAtRestart = stream.LastSent;
            await second.WaitUntilShown(unit, metric, v => v.Value > sentAtRestart && !v.FromSnapshot, Patience, ct);

            Assert.Empty(screen.Violations);
            Assert.Empty(second.Violations);
        });
    }

    [Fact]
    public async Task Rolling_the_silos_one_at_a_time_never_shows_a_screen_a_wrong_value()
    {
        postgres.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ClusterUnderTest.CreateAsync(postgres);
        await Diagnose(cluster, async () =>
        {
            var original = await cluster.StartAsync(HubRole.Silo, 2);
            var gateway = (await cluster.StartAsync(HubRole.Gateway))[0];
            var ingest = (await cluster.StartAsync(HubRole.Ingest))[0];
            var watched = Streamed.Take(8).ToArray();

            await using var stream = new TelemetryStream(ingest.BaseAddress, ClusterUnderTest.DevToken, Streamed, StreamPeriod, StreamTicks);
            // A gap is allowed (the screen marks it and resynchronises); a value never sent, or an older value
            // after a newer one, is not.
            await using var screen = new TestScreen([gateway.BaseAddress],
                (_, _, value, before) => SentValue(stream, value) ?? (value < before ? $"went back from {before} to {value}" : null));
            await screen.ConnectAsync(ct);
            foreach (var (unit, _) in watched) await screen.SubscribeAsync(unit, ct);
            await screen.WaitUntilShown(watched[0].Unit, watched[0].Metric, v => !v.FromSnapshot, Patience, ct);

            // As a Deployment with maxUnavailable 0 rolls: a new silo first, then the old one drains and stops.
            foreach (var old in original)
            {
                await cluster.StartAsync(HubRole.Silo);
                Assert.Equal(0, await old.StopAsync(Patience)); // drained within Cluster:ShutdownTimeout
            }

            var sentAfterRoll = stream.LastSent;
            foreach (var (unit, metric) in watched)
            {
                await screen.WaitUntilShown(unit, metric, v => v.Value > sentAfterRoll, Patience, ct);
                Assert.DoesNotContain(await cluster.SiloHosting(unit), original);
            }
            Assert.Empty(screen.Violations);
            TestContext.Current.SendDiagnosticMessage($"Rolling 2 silos: the screen resynchronised after {screen.Gaps} gaps; {stream.Refused} requests refused.");
        });
    }

    private static async Task Report(HubProcess ingest, string unit, string metric, double value, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = ingest.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", ClusterUnderTest.DevToken);
        var response = await http.PostAsJsonAsync("/api/v1/telemetry",
            new { points = new[] { new { unit, metric, value, ts = DateTimeOffset.UtcNow } } }, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    // A failing cluster test is hard to read without what the processes said.
    private static async Task Diagnose(ClusterUnderTest cluster, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n\n{cluster.Diagnostics()}", ex);
        }
    }
}
