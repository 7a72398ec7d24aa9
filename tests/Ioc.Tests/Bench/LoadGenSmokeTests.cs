using Ioc.LoadGen;

namespace Ioc.Tests.Bench;

/// <summary>
/// Proves that the benchmark's load generator works against the real hub pipeline. It runs for a
/// couple of seconds and asserts counts only; the benchmark itself runs outside the test suite.
/// </summary>
public sealed class LoadGenSmokeTests(HubFactory hub) : IClassFixture<HubFactory>
{
    /// <summary>
    /// Runs the load generator as the benchmark does, against <paramref name="target"/>: over the 20 first units'
    /// series, with <paramref name="screens"/> screens each watching 4 units and their locality. A smoke run ends
    /// at <see cref="LoadOptions.MaxPoints"/>; a minute, and 30 s for the screens to settle, only bound a stuck one.
    /// </summary>
    internal static async Task<LoadReport> Run(LoadTarget target, HubFactory hub, int screens, LoadOptions options)
    {
        options = options with { Duration = TimeSpan.FromMinutes(1), SettleTimeout = TimeSpan.FromSeconds(30) };
        var bearer = hub.TokenFor(HubRoles.Operator);
        using var client = target.CreateClient(1);
        var series = await SeriesSpace.FromHubAsync(client, bearer, units: 20, metrics: 2, Cancel);
        await using var pool = await ScreenPool.ConnectAsync(target, bearer, series, count: screens, watchUnits: 4, watchLocality: true, log: null, Cancel);
        return await new LoadGenerator(target, series, options).RunAsync(pool, Cancel);
    }

    /// <summary>
    /// What every smoke run must show: no error, <paramref name="points"/> acknowledged in <paramref name="requests"/>
    /// requests, none shed or failed, and each of <paramref name="screens"/> screens saw the last values sent.
    /// </summary>
    internal static void AssertAcknowledgedAndSeen(LoadReport report, long requests, long points, int screens)
    {
        Assert.Null(report.FirstError);
        Assert.Equal(requests, report.Requests);
        Assert.Equal(points, report.PointsAcked);
        Assert.Equal(0, report.PointsShed + report.PointsFailed);
        Assert.Equal(screens, report.Screens!.Complete);
    }

    [Fact]
    public async Task The_load_generator_has_every_point_it_sends_acknowledged_and_every_screen_sees_the_last_values_sent()
    {
        var report = await Run(new LoadTarget(hub.Server.BaseAddress, hub.Server.CreateHandler), hub, screens: 3, new LoadOptions
        {
            BatchSize = 25,
            Concurrency = 4,
            Rate = 1_000,
            MaxPoints = 2_000,
        });

        AssertAcknowledgedAndSeen(report, requests: 80, points: 2_000, screens: 3);
        Assert.Equal(2_000, report.PointsSent);
        Assert.Equal(3, report.Screens!.Connected);
        Assert.True(report.Screens.Unit.Count > 0, "the screens measured no unit value");
    }

    [Fact]
    public async Task A_reconnect_storm_has_every_screen_subscribed_to_alerts_the_province_and_a_locality()
    {
        var target = new LoadTarget(hub.Server.BaseAddress, hub.Server.CreateHandler);
        await using var storm = new ReconnectStorm();

        var report = await storm.RunAsync(target, hub.TokenFor(HubRoles.Operator), "hung-yen", ["van-lam", "yen-my"], screens: 4, TimeSpan.FromMinutes(1), Cancel);

        Assert.Null(report.FirstError);
        Assert.Equal((4, 4, 4L), (report.Screens, report.Completed, report.PerScreen.Count));
    }

    [Fact]
    public void A_benchmark_catalog_holds_the_seeded_hierarchy_and_the_asked_number_of_units_and_metrics_and_the_hub_accepts_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-catalog-{Guid.NewGuid():N}.json");
        try
        {
            BenchCatalog.Write(path, units: 250, metrics: 10);

            var catalog = Contracts.Catalog.Load(path);
            var units = catalog.Entities.Where(e => e.Kind == Contracts.EntityKind.Unit).ToList();
            Assert.Equal(250, units.Count);
            Assert.All(units, u => Assert.Equal(10, u.Metrics.Length));
            Assert.Equal(10, catalog.Entities.Count(e => e.IsLocality));
            Assert.Equal(250, catalog.UnitsUnder(catalog.Province.Id).Count);
            Assert.Equal(2_500, SeriesSpace.FromCatalog(path, 1_000, 10).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The suite starts each hub through the testing library's <see cref="HubProcess"/>: settings as arguments, its
    /// whole output in a log file, ready once <c>/health/ready</c> answers 200, and stopped with SIGTERM.
    /// </summary>
    [Fact]
    public async Task A_hub_the_suite_starts_with_arguments_is_ready_when_its_readiness_probe_answers_logs_to_its_file_and_stops_cleanly_on_SIGTERM()
    {
        using var work = new TempFolder("ioc-hubprocess-");
        var log = Path.Combine(work.FullName, "logs", "hub.log");
        await using var hub = await HubProcess.StartAsync(OneCommandProcess.Start(work.FullName, log), Cancel);

        using var client = hub.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/health/ready", Cancel)).StatusCode);
        Assert.True(hub.StartTime > TimeSpan.Zero);
        Assert.Equal(0, await hub.StopAsync(TimeSpan.FromMinutes(1)));
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var written = await reader.ReadToEndAsync(Cancel);
        Assert.StartsWith("# ", written);
        Assert.Contains("Application started", written);
    }

    /// <summary>
    /// The suite's VictoriaMetrics: data and log files of its own, a sample written twice (a retry after a lost answer)
    /// counted once, and what it held still there after it was stopped for an outage and started again on its port.
    /// </summary>
    [Fact]
    public async Task A_VictoriaMetrics_run_as_the_suite_runs_it_counts_a_repeated_sample_once_and_keeps_it_across_a_restart()
    {
        using var work = new TempFolder("ioc-suite-vm-");
        var log = Path.Combine(work.FullName, "logs", "vm.log");
        await using var vm = VictoriaMetrics.Reserve(retention: "10y", deduplicate: true, dataPath: Path.Combine(work.FullName, "data"), logPath: log);
        await vm.Start(Cancel);
        using var http = new HttpClient { BaseAddress = vm.BaseAddress };
        var line = $"bench,unit=bench-smoke value=1 {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000}";
        for (var i = 0; i < 2; i++)
            (await http.PostAsync("/write", new StringContent(line), Cancel)).EnsureSuccessStatusCode();

        await vm.Stop(Cancel);
        await vm.Start(Cancel);

        Assert.Equal(1, await vm.CountAsync("{unit=\"bench-smoke\"}", Cancel));
        Assert.True(new FileInfo(log).Length > 0);
    }
}
