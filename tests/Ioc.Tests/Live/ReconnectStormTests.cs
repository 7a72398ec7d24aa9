namespace Ioc.Tests.Live;

/// <summary>
/// Screens coming back all at once, as after a gateway restart: they share the reads of their snapshots, and each
/// must still get a snapshot from which every later update follows on.
/// </summary>
public sealed class ReconnectStormTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private const string Locality = "khoai-chau";
    private const string Unit = "khoai-chau-air-1";

    [Fact]
    public async Task Screens_that_subscribe_at_once_each_get_a_snapshot_and_then_every_later_update_without_a_gap()
    {
        var units = hub.CreateUnitClient();
        await Report(units, 20 + Random.Shared.Next(100) / 10.0);
        var screens = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Screen.Connect(hub)));
        try
        {
            // All at once, as the wall does after a reconnect: alerts, the province, a locality, one of its units.
            // Every other screen asks for the locality's children too.
            var subscribed = await Task.WhenAll(screens.Select(async (s, i) =>
            {
                var alerts = s.SubscribeAlerts();
                var province = s.Subscribe("hung-yen");
                var locality = WithChildren(i) ? s.SubscribeWithChildren(Locality) : s.Subscribe(Locality);
                var unit = s.Subscribe(Unit);
                return (Alerts: await alerts, Province: await province, Locality: await locality, Unit: await unit);
            }));
            Assert.All(subscribed, s => Assert.Equal(("hung-yen", Locality, Unit), (s.Province.Id, s.Locality.Id, s.Unit.Id)));
            Assert.All(subscribed.Where((_, i) => WithChildren(i)), s => Assert.Contains(s.Locality.Children, c => c.Id == Unit));
            Assert.All(subscribed.Where((_, i) => !WithChildren(i)), s => Assert.Empty(s.Locality.Children));
            // Screens whose snapshots reflect the same sequence got the same state.
            foreach (var same in subscribed.Select(s => s.Locality).GroupBy(s => (s.Sequence, s.Children.IsEmpty)))
                Assert.Single(same.Select(s => (s.Status, s.Units, s.BelowTarget, s.NotReported, Rollups: string.Join(';', s.Rollups),
                    Children: string.Join(';', s.Children))).Distinct());
            foreach (var same in subscribed.Select(s => s.Unit).GroupBy(s => s.Sequence))
                Assert.Single(same.Select(s => (s.Status, Metrics: string.Join(';', s.Metrics))).Distinct());

            // A change after the storm reaches every screen, and what each received follows on from its own snapshots.
            var value = 200 + Random.Shared.Next(1000) / 10.0;
            var at = await Report(units, value);
            for (var i = 0; i < screens.Length; i++)
            {
                var screen = screens[i];
                await screen.Updates.First(u => u.Id == Unit && u.Metrics.Any(m => m.Metric == "pm25" && m.Value == value));
                // The locality's update follows the unit's; only a screen that asked for children sees the unit in it.
                await screen.Updates.First(u => u.Id == Locality && u.LastReport >= at);
                if (WithChildren(i))
                    await screen.Updates.First(u => u.Id == Locality && u.Children.Any(c => c.Id == Unit && c.LastReport >= at));
                else
                    Assert.All(screen.Updates.All.Where(u => u.Id == Locality), u => Assert.Empty(u.Children));
                FollowsOn(subscribed[i].Unit, screen);
                FollowsOn(subscribed[i].Locality, screen);
            }
        }
        finally
        {
            foreach (var screen in screens) await screen.DisposeAsync();
        }
    }

    private static bool WithChildren(int screen) => screen % 2 == 0;

    /// <summary>Every update of the snapshot's entity newer than the snapshot continues from the last one applied, as the page checks.</summary>
    private static void FollowsOn(EntitySnapshot snapshot, Screen screen)
    {
        var last = snapshot.Sequence;
        var applied = 0;
        foreach (var update in screen.Updates.All.Where(u => u.Id == snapshot.Id && u.Sequence > snapshot.Sequence))
        {
            if (update.Sequence <= last) continue;
            Assert.True(update.FromSequence <= last + 1, $"{snapshot.Id}: a gap after {last}, the update folds {update.FromSequence}..{update.Sequence}");
            last = update.Sequence;
            applied++;
        }
        Assert.True(applied > 0);
    }

    private static async Task<DateTimeOffset> Report(HttpClient units, double pm25)
    {
        var ts = DateTimeOffset.UtcNow;
        var response = await units.PostAsJsonAsync("/api/v1/telemetry", new
        {
            points = new[] { new { unit = Unit, metric = "pm25", value = pm25, ts } },
        }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return ts;
    }
}
