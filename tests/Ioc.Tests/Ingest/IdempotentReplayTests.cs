using CsCheck;
using Ioc.Ingest;
using Ioc.Ingest.Telemetry;
using Ioc.Silo.Grains;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary>A unit that resends a batch after losing the answer doubles nothing.</summary>
public sealed class IdempotentReplayTests(IngestHubFactory hub) : IClassFixture<IngestHubFactory>
{
    private static string Batch(string unit, long seconds, double value) =>
        $"traffic,unit={unit} vehicle-count={value}i,avg-speed={value} {seconds}\ntraffic,unit={unit} vehicle-count={value + 1}i,avg-speed={value + 1} {seconds + 1}";

    [Fact]
    public async Task Resending_the_same_batch_does_not_double_the_points_received()
    {
        await using var watch = await UnitWatch.Start(hub, "van-giang-traffic-1");
        var before = await hub.PointsReceived("van-giang-traffic-1");
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120;
        var client = hub.CreateUnitClient();

        Assert.Equal(HttpStatusCode.NoContent, (await client.WriteLines(Batch("van-giang-traffic-1", seconds, 40), "s")).StatusCode);
        await watch.WaitFor("avg-speed", 41);
        Assert.Equal(before + 4, await hub.PointsReceived("van-giang-traffic-1"));

        // The replay is stored again (same point identity) and reaches the unit, but counts nothing new.
        Assert.Equal(HttpStatusCode.NoContent, (await client.WriteLines(Batch("van-giang-traffic-1", seconds, 40), "s")).StatusCode);
        var sentinel = Math.Round(Random.Shared.NextDouble() * 50 + 60, 3);
        Assert.Equal(HttpStatusCode.NoContent, (await client.WriteLines($"traffic,unit=van-giang-traffic-1 avg-speed={sentinel}")).StatusCode);
        await watch.WaitFor("avg-speed", sentinel);
        Assert.Equal(before + 5, await hub.PointsReceived("van-giang-traffic-1"));
    }

    [Fact]
    public async Task A_repeated_Idempotency_Key_gets_the_same_answer_without_taking_effect_again()
    {
        await using var watch = await UnitWatch.Start(hub, "kim-dong-traffic-1");
        var before = await hub.PointsReceived("kim-dong-traffic-1");
        var client = hub.CreateUnitClient();
        var key = Guid.NewGuid().ToString();
        // No timestamps: taking effect twice would give the second request new server-time points.
        var body = "traffic,unit=kim-dong-traffic-1 vehicle-count=7i,avg-speed=33.5";

        var first = await client.WriteLines(body, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        await watch.WaitFor("avg-speed", 33.5);
        var again = await client.WriteLines(body, idempotencyKey: key);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());

        var sentinel = Math.Round(Random.Shared.NextDouble() * 50 + 60, 3);
        Assert.Equal(HttpStatusCode.NoContent, (await client.WriteLines($"traffic,unit=kim-dong-traffic-1 avg-speed={sentinel}")).StatusCode);
        await watch.WaitFor("avg-speed", sentinel);
        Assert.Equal(before + 3, await hub.PointsReceived("kim-dong-traffic-1"));
        Assert.Equal(1, watch.Seen.Count(v => v.Metric == "avg-speed" && v.Value == 33.5));
    }

    [Fact]
    public async Task A_refused_request_replayed_with_its_key_gets_the_same_refusal()
    {
        var key = Guid.NewGuid().ToString();
        var first = await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=bad", idempotencyKey: key);
        var message = await first.InfluxError(HttpStatusCode.BadRequest, "invalid");
        var again = await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=bad", idempotencyKey: key);
        Assert.Equal(message, await again.InfluxError(HttpStatusCode.BadRequest, "invalid"));
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_with_another_body_is_409()
    {
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=1", idempotencyKey: key)).StatusCode);
        var reused = await hub.CreateUnitClient().WriteLines("air,unit=van-lam-air-1 pm25=2", idempotencyKey: key);
        Assert.Contains("different body", await reused.InfluxError(HttpStatusCode.Conflict, "conflict"));
    }

    [Fact]
    public async Task Idempotency_keys_are_forgotten_after_their_window_and_kept_per_token()
    {
        var time = new FakeTimeProvider();
        var cache = new IdempotencyCache(Options.Create(new IngestOptions { IdempotencyWindow = TimeSpan.FromMinutes(10) }), time);
        var outcome = new WriteOutcome(204, null, null);
        var claim = Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", "k", [1]));
        cache.Complete(claim, outcome, keep: true);
        Assert.Same(outcome, await Assert.IsType<IdempotencyCache.Replay>(cache.Begin("a", "k", [1])).Outcome);
        Assert.IsType<IdempotencyCache.Mismatch>(cache.Begin("a", "k", [2]));
        Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("b", "k", [1]));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", "k", [1]));
    }

    [Fact]
    public void Answers_that_say_try_again_are_not_kept()
    {
        var cache = new IdempotencyCache(Options.Create(new IngestOptions()), new FakeTimeProvider());
        var claim = Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", "k", [1]));
        cache.Complete(claim, WriteOutcome.Error(503, "unavailable", "busy", TimeSpan.FromSeconds(5)), keep: false);
        Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", "k", [1]));
    }

    [Fact]
    public void The_cache_holds_at_most_its_capacity_forgetting_the_oldest_first()
    {
        var cache = new IdempotencyCache(Options.Create(new IngestOptions { IdempotencyCapacity = 2 }), new FakeTimeProvider());
        foreach (var k in new[] { "1", "2", "3" })
            cache.Complete(Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", k, [1])), new WriteOutcome(204, null, null), keep: true);
        Assert.IsType<IdempotencyCache.Fresh>(cache.Begin("a", "1", [1]));
        Assert.IsType<IdempotencyCache.Replay>(cache.Begin("a", "3", [1]));
    }

    [Fact]
    public void Points_received_counts_distinct_metric_and_timestamp_pairs_and_survives_a_restart_without_recounting()
    {
        var t0 = new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
        var state = new ReceivedPointsState();
        // Metrics by their place in the unit's book: pm25 first, aqi second.
        var counter = new ReceivedPoints(state, ["pm25", "aqi"]);
        Assert.True(counter.Count(0, t0));
        Assert.True(counter.Count(1, t0));
        Assert.False(counter.Count(0, t0));
        Assert.True(counter.Count(0, t0.AddSeconds(-30)));
        Assert.False(counter.Count(0, t0.AddSeconds(-30)));
        Assert.Equal(3, counter.Total);

        // Far beyond the window: what is older than the remembered ones is taken as seen.
        Assert.True(counter.Count(0, t0.AddHours(2)));
        Assert.False(counter.Count(0, t0));

        counter.Flush();
        Assert.Equal(t0.AddHours(2).UtcTicks, state.Newest["pm25"]);
        // A new book may order the metrics otherwise: the stored timestamps are by name.
        var restarted = new ReceivedPoints(state, ["aqi", "pm25"]);
        Assert.False(restarted.Count(1, t0.AddHours(2)));
        Assert.False(restarted.Count(0, t0));
        Assert.True(restarted.Count(0, t0.AddSeconds(1)));
        Assert.Equal(5, restarted.Total);
    }

    [Fact]
    public void Points_received_remembers_a_bounded_number_of_timestamps()
    {
        var counter = new ReceivedPoints(new ReceivedPointsState(), ["pm25"]);
        var t0 = DateTimeOffset.UnixEpoch.AddYears(56);
        for (var i = 0; i < ReceivedPoints.MaxRemembered + 10; i++)
            Assert.True(counter.Count(0, t0.AddMilliseconds(i)));
        Assert.False(counter.Count(0, t0.AddMilliseconds(5)));
        Assert.Equal(ReceivedPoints.MaxRemembered + 10, counter.Total);
    }

    [Fact]
    public void Points_received_agrees_with_the_plain_definition_for_any_order_of_timestamps()
    {
        // Steps of seconds, mostly forward, so that both the count bound and the window are reached; steps back
        // that repeat or fill in earlier timestamps; and jumps longer than the window.
        var step = Gen.Frequency(
            (6, Gen.Int[1, 3].Select(s => (long)s)),
            (2, Gen.Int[-60, 0].Select(s => (long)s)),
            (1, Gen.Int[1_000, 5_000].Select(s => (long)s)));
        Gen.Select(step.Array[1, 3_000], Gen.Int[0, 2]).Sample((steps, metrics) =>
        {
            var counter = new ReceivedPoints(new ReceivedPointsState(), ["m0", "m1", "m2"]);
            var model = new Dictionary<string, (long Floor, SortedSet<long> Seen)>();
            var t = DateTimeOffset.UnixEpoch.AddYears(56).UtcTicks;
            for (var i = 0; i < steps.Length; i++)
            {
                t += steps[i] * TimeSpan.TicksPerSecond;
                var metric = $"m{i % (metrics + 1)}";
                Assert.Equal(ModelCount(model, metric, t), counter.Count(i % (metrics + 1), new DateTimeOffset(t, TimeSpan.Zero)));
            }
        }, iter: 200);
    }

    // What ReceivedPoints promises, written the obvious way.
    private static bool ModelCount(Dictionary<string, (long Floor, SortedSet<long> Seen)> model, string metric, long ticks)
    {
        if (!model.TryGetValue(metric, out var m)) model[metric] = m = (long.MinValue, []);
        if (ticks <= m.Floor || !m.Seen.Add(ticks)) return false;
        while (m.Seen.Count > ReceivedPoints.MaxRemembered || m.Seen.Max - m.Seen.Min > ReceivedPoints.Window.Ticks)
        {
            m.Floor = m.Seen.Min;
            m.Seen.Remove(m.Floor);
        }
        model[metric] = m;
        return true;
    }
}
