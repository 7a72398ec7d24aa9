namespace Ioc.Tests.Storage;

/// <summary>A one-command hub with settings of a test's own.</summary>
public sealed class StorageHub(IDictionary<string, string?> settings) : HubFactory
{
    protected override IDictionary<string, string?> Settings => settings;

    /// <summary>Settings that send points to a VictoriaMetrics at <paramref name="url"/>, retrying quickly.</summary>
    public static Dictionary<string, string?> VictoriaMetrics(string url) => new()
    {
        ["TimeSeries:Server"] = "VictoriaMetrics",
        ["TimeSeries:Url"] = url,
        ["TimeSeries:BatchLines"] = "200",
        ["TimeSeries:AttemptTimeout"] = "00:00:05",
        ["TimeSeries:MaxRetryAttempts"] = "2",
        ["TimeSeries:RetryBaseDelay"] = "00:00:00.050",
        ["TimeSeries:RetryMaxDelay"] = "00:00:00.500",
        ["TimeSeries:BreakDuration"] = "00:00:01",
        // A hub stopped while the store is down would otherwise try for the default 20 s.
        ["Buffer:DrainTimeout"] = "00:00:01",
    };

    /// <summary>Waits until the store has confirmed every point the hub has acknowledged so far.</summary>
    public async Task Drained(CancellationToken cancellationToken)
    {
        var buffer = Services.GetRequiredService<WriteAheadLog>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await buffer.WhenConfirmed(buffer.DurableEnd, timeout.Token);
    }

    /// <summary>
    /// Waits until every unit in <paramref name="points"/> holds its newest point (by timestamp). The live path hands
    /// points to units after the answer, apart from the store's path, and gives no signal of its own: the value polled
    /// for is the condition itself, within a bound.
    /// </summary>
    public async Task UnitsHoldNewest(IEnumerable<Pushed> points, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var grains = Services.GetRequiredService<IGrainFactory>();
        foreach (var newest in points.GroupBy(p => p.Unit).Select(unit => unit.MaxBy(p => p.Ts)!))
        {
            while (!(await grains.GetGrain<IUnitGrain>(newest.Unit).GetSnapshot()).Metrics.Any(m => m.Metric == newest.Metric && m.Timestamp == newest.Ts))
                await Task.Delay(20, bound.Token);
        }
    }
}

/// <summary>A point as a unit pushes it.</summary>
public sealed record Pushed(string Unit, string Metric, double Value, DateTimeOffset Ts);

/// <summary>A history answer as the API returns it.</summary>
public sealed record HistoryAnswer(string Entity, string Metric, string Agg, DateTimeOffset From, DateTimeOffset To, long StepSeconds, List<HistoryAnswer.Step> Points)
{
    public sealed record Step(DateTimeOffset Ts, double Value);
}

/// <summary>Pushing points and reading history through the hub's HTTP API, and what history should say.</summary>
public static class StorageScenario
{
    public static readonly string[] Aggregates = ["avg", "min", "max", "sum", "count", "last"];

    /// <summary>Pushes points in requests of <paramref name="perRequest"/>; each must be accepted.</summary>
    public static async Task Push(HttpClient units, IEnumerable<Pushed> points, int perRequest, CancellationToken cancellationToken)
    {
        foreach (var chunk in points.Chunk(perRequest))
        {
            var response = await Post(units, chunk, cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }

    /// <summary>Posts one request.</summary>
    public static Task<HttpResponseMessage> Post(HttpClient units, IEnumerable<Pushed> points, CancellationToken cancellationToken) =>
        units.PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = points.Select(p => new { unit = p.Unit, metric = p.Metric, value = p.Value, ts = p.Ts }),
        }, cancellationToken);

    /// <summary>Reads history as a supervisor.</summary>
    public static async Task<HistoryAnswer> History(
        HubFactory hub, string entity, string metric, DateTimeOffset from, DateTimeOffset to, TimeSpan step, string agg, CancellationToken cancellationToken)
    {
        var client = hub.CreatePersonClient(HubRoles.Supervisor);
        var response = await client.GetAsync(
            $"/api/v1/entities/{entity}/metrics/{metric}/history?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&step={(long)step.TotalSeconds}&agg={agg}",
            cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        return (await response.Content.ReadFromJsonAsync<HistoryAnswer>(cancellationToken))!;
    }

    /// <summary>
    /// Air-quality readings of three stations over the two hours before <paramref name="end"/>: every five
    /// minutes on the dot (so some fall exactly on step boundaries and all three share instants), plus a few
    /// off the grid. Values have two decimals, which every store keeps exactly.
    /// </summary>
    public static List<Pushed> AirQuality(DateTimeOffset end)
    {
        string[] stations = ["van-lam-air-1", "yen-my-air-1", "tp-hung-yen-air-1"];
        var start = end.AddHours(-2);
        var points = new List<Pushed>();
        for (var s = 0; s < stations.Length; s++)
        {
            for (var k = 0; k < 24; k++)
                points.Add(new Pushed(stations[s], "pm25", Math.Round(20 + 7.25 * s + (k * 37 % 11) * 1.5, 2), start.AddMinutes(5 * k)));
            points.Add(new Pushed(stations[s], "pm25", 99.5 - s, start.AddMinutes(17).AddSeconds(13 * s + 1)));
            points.Add(new Pushed(stations[s], "pm25", 1.25 + s, start.AddMinutes(59).AddSeconds(59).AddMilliseconds(999)));
        }
        return points;
    }

    /// <summary>The last ten-minute boundary before now: an end that history steps line up with.</summary>
    public static DateTimeOffset RecentEnd() => DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 600 * 600);

    /// <summary>Two history windows over <see cref="AirQuality"/> ending at <paramref name="end"/>: one aligned to the data, one not with a shorter last step.</summary>
    public static (DateTimeOffset From, DateTimeOffset To, TimeSpan Step)[] Ranges(DateTimeOffset end) =>
    [
        (end.AddHours(-2), end, TimeSpan.FromMinutes(10)),
        (end.AddHours(-2).AddMinutes(3), end.AddMinutes(-1), TimeSpan.FromMinutes(15)),
    ];

    /// <summary>
    /// Asks <paramref name="hub"/> for pm25's history of each of <paramref name="entities"/> in each window and
    /// aggregate, and checks each answer against what <see cref="Expected"/> computes from <paramref name="points"/>.
    /// </summary>
    public static async Task AnswersAsPushed(
        HubFactory hub, List<Pushed> points, string[] entities, (DateTimeOffset From, DateTimeOffset To, TimeSpan Step)[] ranges, string[] aggregates,
        string because, CancellationToken cancellationToken)
    {
        var catalog = hub.Services.GetRequiredService<Contracts.Catalog>();
        foreach (var entity in entities)
        foreach (var (from, to, step) in ranges)
        foreach (var agg in aggregates)
        {
            var answer = await History(hub, entity, "pm25", from, to, step, agg, cancellationToken);
            SameSteps(Expected(points, catalog, entity, "pm25", from, to, step, agg), answer.Points, $"{agg} of {entity} from {from:HH:mm} by {step}, {because}");
        }
    }

    /// <summary>What the history API should answer, computed from the pushed points.</summary>
    public static List<HistoryAnswer.Step> Expected(
        IEnumerable<Pushed> points, Contracts.Catalog catalog, string entity, string metric, DateTimeOffset from, DateTimeOffset to, TimeSpan step, string agg)
    {
        var units = catalog.UnitsUnder(entity);
        return points
            .Where(p => units.Contains(p.Unit) && p.Metric == metric && p.Ts >= from && p.Ts < to)
            .GroupBy(p => (p.Ts - from).Ticks / step.Ticks)
            .OrderBy(g => g.Key)
            .Select(g => new HistoryAnswer.Step(from + step * g.Key, agg switch
            {
                "avg" => g.Average(p => p.Value),
                "min" => g.Min(p => p.Value),
                "max" => g.Max(p => p.Value),
                "sum" => g.Sum(p => p.Value),
                "count" => g.Count(),
                _ => g.OrderBy(p => p.Ts).ThenBy(p => p.Value).Last().Value,
            }))
            .ToList();
    }

    /// <summary>Asserts two answers hold the same steps, values equal up to rounding in the last digits.</summary>
    public static void SameSteps(IReadOnlyList<HistoryAnswer.Step> expected, IReadOnlyList<HistoryAnswer.Step> actual, string because)
    {
        Assert.True(expected.Count == actual.Count,
            $"{because}: expected {expected.Count} steps, got {actual.Count}: {string.Join(", ", actual.Select(s => $"{s.Ts:HH:mm:ss}={s.Value}"))}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Ts == actual[i].Ts, $"{because}: step {i} starts at {actual[i].Ts:O}, expected {expected[i].Ts:O}");
            Assert.True(Math.Abs(expected[i].Value - actual[i].Value) <= 1e-9 * Math.Max(1, Math.Abs(expected[i].Value)),
                $"{because}: step {i} at {actual[i].Ts:O} is {actual[i].Value}, expected {expected[i].Value}");
        }
    }
}
