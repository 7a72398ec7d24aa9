using CsCheck;
using Ioc.Gateway.History;
using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ioc.Tests.Storage;

/// <summary>
/// The embedded store's retention and its per-minute and per-hour aggregates, on a fake clock: the store, its
/// writer, its compactor and its history reader, without a hub around them.
/// </summary>
public sealed class RetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Units = ["van-lam-air-1", "yen-my-air-1"];

    [Fact]
    public async Task Raw_points_past_their_retention_expire_and_the_minute_and_hour_aggregates_outlive_them()
    {
        var points = Grid(Start, TimeSpan.FromHours(3), TimeSpan.FromSeconds(20));
        using var store = new Store(points);

        store.CompactAfter(TimeSpan.FromDays(31));
        Assert.Equal((0L, 360L, 6L), store.Rows());
        var range = (Start, Start + TimeSpan.FromHours(3));
        await store.Matches(points, range, TimeSpan.FromMinutes(1), because: "minutes after the raw points expired");
        await store.Matches(points, range, TimeSpan.FromHours(1), because: "hours after the raw points expired");
        Assert.Empty(await store.History(range, TimeSpan.FromSeconds(30), HistoryAggregate.Avg));

        store.CompactAfter(TimeSpan.FromDays(366));
        Assert.Equal((0L, 0L, 6L), store.Rows());
        await store.Matches(points, range, TimeSpan.FromHours(1), because: "hours after the minutes expired");

        store.CompactAfter(TimeSpan.FromDays(3651));
        Assert.Equal((0L, 0L, 0L), store.Rows());
    }

    [Fact]
    public async Task A_query_spanning_the_boundary_between_raw_points_and_aggregates_counts_every_point_once()
    {
        // Two days of points, one every 7 minutes; the clock then puts the raw retention's cut-off in their middle.
        var points = Grid(Start, TimeSpan.FromDays(2), TimeSpan.FromMinutes(7));
        using var store = new Store(points);
        store.CompactAfter(TimeSpan.FromDays(31));
        var (raw, _, _) = store.Rows();
        Assert.InRange(raw, 1, points.Count - 1);
        Assert.Equal(points.Where(p => p.Ts >= Start + TimeSpan.FromDays(1)).Min(p => p.Ts), store.Retention.LastPass!.OldestRaw);

        var all = (Start, Start + TimeSpan.FromDays(2));
        await store.Matches(points, all, TimeSpan.FromHours(1), because: "hours across the boundary");
        await store.Matches(points, all, TimeSpan.FromHours(6), because: "six hours across the boundary");
        await store.Matches(points, (Start + TimeSpan.FromHours(20), Start + TimeSpan.FromHours(28)), TimeSpan.FromMinutes(5), because: "five minutes across the boundary");
        // An end that is not on the hour: whole hours from the hourly table, the rest from minutes and raw points.
        await store.Matches(points, (Start + TimeSpan.FromHours(22), Start + TimeSpan.FromHours(27) + TimeSpan.FromSeconds(1_337)), TimeSpan.FromHours(1), because: "an end off the hour");
    }

    [Fact]
    public async Task Late_and_out_of_order_points_land_in_the_bucket_of_their_own_time()
    {
        var first = Grid(Start + TimeSpan.FromHours(2), TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        using var store = new Store(first);
        // Later batches: a point two hours earlier, one in the middle of the hour already written, one in between.
        List<Pushed> late =
        [
            new(Units[0], "pm25", 77.25, Start + TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(30)),
            new(Units[1], "pm25", -4.5, Start + TimeSpan.FromHours(2) + TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(1)),
        ];
        store.Write(late);
        store.Write([new(Units[0], "pm25", 12.5, Start + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(59))]);
        var all = first.Concat(late).Append(new(Units[0], "pm25", 12.5, Start + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(59))).ToList();

        store.CompactAfter(TimeSpan.FromDays(40));
        await store.Matches(all, (Start, Start + TimeSpan.FromHours(3)), TimeSpan.FromHours(1), because: "hours");
        await store.Matches(all, (Start, Start + TimeSpan.FromHours(3)), TimeSpan.FromMinutes(1), because: "minutes");
    }

    [Fact]
    public async Task A_point_written_again_counts_once_and_one_written_again_with_another_value_replaces_it()
    {
        var points = Grid(Start, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30));
        using var store = new Store(points);
        store.Write(points.Take(5));
        var changed = points[3] with { Value = 1_000 };
        store.Write([changed]);
        var expected = points.Select(p => p == points[3] ? changed : p).ToList();

        await store.Matches(expected, (Start, Start + TimeSpan.FromHours(1)), TimeSpan.FromMinutes(1), because: "minutes");
        await store.Matches(expected, (Start, Start + TimeSpan.FromHours(1)), TimeSpan.FromHours(1), because: "the hour");
    }

    [Fact]
    public void Every_aggregate_read_from_minutes_and_hours_equals_the_same_computation_over_the_raw_points()
    {
        var point = Gen.Select(Gen.Int[0, 1], Gen.Int[0, 3 * 3600 - 1], Gen.Int[-5_000, 5_000], Gen.Int[0, 1_000],
            (u, second, centi, ms) => new Pushed(Units[u], "pm25", centi / 100.0, Start + TimeSpan.FromSeconds(second) + TimeSpan.FromMilliseconds(ms % 7 == 0 ? ms : 0)));
        var batches = point.Array[1, 40].Array[1, 6];
        var query = Gen.Select(Gen.Int[0, 4].Select(i => new[] { 60, 300, 900, 3600, 7200 }[i]), Gen.Int[0, 3], Gen.Int[1, 3 * 3600 + 60]);
        Gen.Select(batches, query).Sample((written, q) =>
        {
            using var store = new Store();
            foreach (var batch in written) store.Write(batch);
            // The last value written for a point is the one that counts.
            var stored = written.SelectMany(b => b).GroupBy(p => (p.Unit, p.Ts)).Select(g => g.Last()).ToList();
            var (stepSeconds, fromHour, length) = q;
            var from = Start + TimeSpan.FromHours(fromHour % 2) + TimeSpan.FromMinutes(fromHour == 3 ? 7 : 0);
            var range = (from, from + TimeSpan.FromSeconds(length));
            foreach (var agg in Enum.GetValues<HistoryAggregate>())
                store.Matches(stored, range, TimeSpan.FromSeconds(stepSeconds), agg, $"{agg} by {stepSeconds} s from {from:HH:mm} for {length} s").GetAwaiter().GetResult();
        }, iter: 40, threads: 1);
    }

    [Fact]
    public async Task A_store_written_before_aggregates_existed_gets_them_built_from_its_raw_points_when_opened()
    {
        var points = Grid(Start, TimeSpan.FromHours(2), TimeSpan.FromSeconds(45));
        using var store = new Store(points);
        store.Reopen(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE samples_1m; DROP TABLE samples_1h;";
            command.ExecuteNonQuery();
        });

        Assert.Equal((points.Count, 240L, 4L), store.Rows());
        await store.Matches(points, (Start, Start + TimeSpan.FromHours(2)), TimeSpan.FromMinutes(1), because: "minutes built on upgrade");
        await store.Matches(points, (Start, Start + TimeSpan.FromHours(2)), TimeSpan.FromHours(1), because: "hours built on upgrade");
    }

    [Fact]
    public void The_history_reader_picks_the_coarsest_table_that_serves_the_step_exactly()
    {
        HistoryQuery Query(DateTimeOffset from, TimeSpan step) => new("pm25", Units, from, from + TimeSpan.FromDays(1), step, HistoryAggregate.Avg);
        string[] Tables(HistoryQuery q) => [.. EmbeddedHistory.Resolutions(q).Select(r => r.Table)];

        Assert.Equal([SampleRollups.HourTable, SampleRollups.MinuteTable], Tables(Query(Start, TimeSpan.FromHours(1))));
        Assert.Equal([SampleRollups.HourTable, SampleRollups.MinuteTable], Tables(Query(Start, TimeSpan.FromDays(1))));
        Assert.Equal([SampleRollups.MinuteTable], Tables(Query(Start, TimeSpan.FromMinutes(90))));
        Assert.Equal([SampleRollups.MinuteTable], Tables(Query(Start + TimeSpan.FromMinutes(5), TimeSpan.FromHours(1))));
        Assert.Empty(Tables(Query(Start, TimeSpan.FromSeconds(30))));
        Assert.Empty(Tables(Query(Start + TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5))));
    }

    [Theory]
    [InlineData("00:30:00", "365.00:00:00", "3650.00:00:00", "Raw must be at least one hour")]
    [InlineData("30.00:00:00", "7.00:00:00", "3650.00:00:00", "Minute (7.00:00:00) must be at least")]
    [InlineData("30.00:00:00", "365.00:00:00", "100.00:00:00", "Hour (100.00:00:00) must be at least")]
    public void Retention_settings_that_contradict_each_other_are_refused_with_the_setting_named(string raw, string minute, string hour, string message)
    {
        var options = new RetentionOptions { Raw = TimeSpan.Parse(raw), Minute = TimeSpan.Parse(minute), Hour = TimeSpan.Parse(hour) };
        Assert.Contains(SectionValidation.Failures(options, RetentionOptions.Section, null), f => f.Contains(message, StringComparison.Ordinal));
        Assert.Empty(SectionValidation.Failures(new RetentionOptions(), RetentionOptions.Section, null));
    }

    [Fact]
    public void A_hub_with_contradictory_retention_settings_refuses_to_start()
    {
        using var hub = new StorageHub(new Dictionary<string, string?> { ["Storage:Retention:Raw"] = "400.00:00:00" });
        Assert.Contains("Storage:Retention:Minute", hub.StartUpRefusal());
    }

    [Fact]
    public async Task Readiness_shows_the_embedded_store_size_and_its_oldest_raw_point()
    {
        await using var hub = new StorageHub(new Dictionary<string, string?>());
        var ts = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600);
        await StorageScenario.Push(hub.CreateUnitClient(), [new Pushed("van-lam-air-1", "pm25", 31.5, ts), new Pushed("van-lam-air-1", "pm25", 32.5, ts.AddMinutes(5))], 2, Cancel);
        await hub.Drained(Cancel);
        hub.Services.GetRequiredService<EmbeddedRetention>().CompactAll(Cancel);

        var body = await hub.CreateClient().GetFromJsonAsync<JsonElement>("/health/ready", Cancel);
        var data = body.GetProperty("checks").GetProperty(EmbeddedStoreHealthCheck.Name).GetProperty("data");
        Assert.True(data.GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(ts, data.GetProperty("oldestRawTimestamp").GetDateTimeOffset());
        Assert.Equal(30, data.GetProperty("rawRetentionDays").GetDouble());
    }

    /// <summary>Points of both units every <paramref name="every"/> over <paramref name="length"/> from <paramref name="from"/>.</summary>
    private static List<Pushed> Grid(DateTimeOffset from, TimeSpan length, TimeSpan every)
    {
        var points = new List<Pushed>();
        var k = 0;
        for (var t = from; t < from + length; t += every, k++)
            for (var u = 0; u < Units.Length; u++)
                points.Add(new Pushed(Units[u], "pm25", Math.Round(40 + 25 * Math.Sin(k / 9.0 + u) + u * 0.25, 2), t));
        return points;
    }

    /// <summary>A store in a directory of its own, its writer, compactor and reader, on a fake clock.</summary>
    private sealed class Store : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("ioc-retention-").FullName;
        private EmbeddedStore _store;
        private EmbeddedWriter _writer;
        private EmbeddedHistory _history;

        public Store() => Open();

        /// <summary>A store with <paramref name="points"/> already written.</summary>
        public Store(IEnumerable<Pushed> points) : this() => Write(points);

        public FakeTimeProvider Time { get; } = new(Start);

        public EmbeddedRetention Retention { get; private set; }

        [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_store), nameof(_writer), nameof(_history), nameof(Retention))]
        private void Open()
        {
            _store = EmbeddedStores.In(_directory);
            _writer = new EmbeddedWriter(_store);
            _history = new EmbeddedHistory(_store);
            Retention = new EmbeddedRetention(new Lazy<EmbeddedStore>(_store), new RetentionOptions { SliceRows = 100 }, Time, NullLogger<EmbeddedRetention>.Instance);
        }

        /// <summary>Changes the file with <paramref name="change"/> while the store is closed, then opens it again.</summary>
        public void Reopen(Action<Microsoft.Data.Sqlite.SqliteConnection> change)
        {
            using (var connection = _store.Open()) change(connection);
            _writer.Dispose();
            _store.Dispose();
            Open();
        }

        /// <summary>Moves the clock to <paramref name="sinceStart"/> after the first point and runs a whole compaction pass.</summary>
        public void CompactAfter(TimeSpan sinceStart)
        {
            Time.SetUtcNow(Start + sinceStart);
            Retention.CompactAll(Cancel);
        }

        public void Write(IEnumerable<Pushed> points)
        {
            var batch = new PointBatch(16);
            batch.Points.AddRange(points.Select(p => new TelemetryPoint(p.Unit, p.Metric, p.Value, p.Ts)));
            _writer.Write(batch, Cancel).GetAwaiter().GetResult();
        }

        public (long Raw, long Minutes, long Hours) Rows()
        {
            using var connection = _store.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM samples_1m), (SELECT count(*) FROM samples_1h)";
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        public Task<IReadOnlyList<HistoryPoint>> History((DateTimeOffset From, DateTimeOffset To) range, TimeSpan step, HistoryAggregate agg) =>
            _history.Query(new HistoryQuery("pm25", Units, range.From, range.To, step, agg), Cancel);

        /// <summary>Asserts that history, for every aggregate or the one given, equals the computation over <paramref name="points"/>.</summary>
        public async Task Matches(List<Pushed> points, (DateTimeOffset From, DateTimeOffset To) range, TimeSpan step, HistoryAggregate? only = null, string because = "")
        {
            foreach (var agg in only is { } a ? [a] : Enum.GetValues<HistoryAggregate>())
            {
                var expected = points
                    .Where(p => p.Ts >= range.From && p.Ts < range.To)
                    .GroupBy(p => (p.Ts - range.From).Ticks / step.Ticks)
                    .OrderBy(g => g.Key)
                    .Select(g => new HistoryAnswer.Step(range.From + step * g.Key, agg switch
                    {
                        HistoryAggregate.Avg => g.Average(p => p.Value),
                        HistoryAggregate.Min => g.Min(p => p.Value),
                        HistoryAggregate.Max => g.Max(p => p.Value),
                        HistoryAggregate.Sum => g.Sum(p => p.Value),
                        HistoryAggregate.Count => g.Count(),
                        _ => g.OrderBy(p => p.Ts).ThenBy(p => p.Value).Last().Value,
                    }))
                    .ToList();
                var actual = (await History(range, step, agg)).Select(p => new HistoryAnswer.Step(p.Ts, p.Value)).ToList();
                StorageScenario.SameSteps(expected, actual, $"{because}: {agg}");
            }
        }

        public void Dispose()
        {
            _writer.Dispose();
            _store.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
