using Ioc.Silo.Grains;
using Orleans.Serialization;

namespace Ioc.Tests.Alerts;

/// <summary>
/// A unit whose alerts come and go keeps its older cleared alerts in pages, each stored once: the state written on every
/// change holds fewer than a page of cleared alerts however long the history is. The pages come back after a crash and
/// are pruned by count and by age like any cleared alert, and deleted once nothing in them is kept. A paged alert's trail
/// is read from its page when asked for.
/// </summary>
public sealed class AlertPagesTests
{
    private const int MaxCleared = 40;

    private static Task<HubCluster> StartAsync(DateTimeOffset at, SharedGrainStore store) =>
        HubCluster.StartAsync(AlertsClusterFixture.Catalog(), at, store,
            alerts: o => (o.MaxClearedPerUnit, o.ClearedRetention) = (MaxCleared, TimeSpan.FromHours(1)));

    private static int NumberOf(string alertId) => int.Parse(alertId[(alertId.LastIndexOf('.') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Cleared_alerts_move_to_pages_that_survive_a_crash_and_are_pruned_by_count_and_age()
    {
        var store = new SharedGrainStore();
        var start = AlertsClusterFixture.Start;
        IReadOnlyList<Alert> kept;
        AlertDetail oldest;
        GrainId grain;
        await using (var first = await StartAsync(start, store))
        {
            var alerts = first.Client.GetGrain<IAlertsGrain>("air-1");
            grain = alerts.GetGrainId();
            var mark = first.Feed.Mark();
            // Fifty alerts raised and cleared, one after the other, and a fifty-first left open.
            for (var n = 1; n <= 50; n++)
            {
                var id = AlertIds.Of("air-1", n);
                await first.Report("air-1", ("pm25", 60));
                await first.Feed.Alert(a => a.Id == id, mark);
                await first.Report("air-1", ("pm25", 40));
                await first.Feed.Alert(a => a.Id == id && a.State == AlertState.Cleared, mark);
            }
            await first.Report("air-1", ("pm25", 60));
            await first.Feed.Alert(a => a.Id == AlertIds.Of("air-1", 51), mark);

            // The most kept: the newest forty cleared and the open one.
            kept = [.. (await alerts.GetAlerts()).OrderBy(a => NumberOf(a.Id))];
            Assert.Equal(Enumerable.Range(11, 41).Select(n => AlertIds.Of("air-1", n)), kept.Select(a => a.Id));
            Assert.Equal(AlertState.Active, kept[^1].State);
            Assert.All(kept.SkipLast(1), a => Assert.Equal(AlertState.Cleared, a.State));
            oldest = (await alerts.GetAlert(AlertIds.Of("air-1", 11)))!;
            Assert.Equal([AlertAction.Raised, AlertAction.Cleared], oldest.Trail.Select(e => e.Action));
            Assert.Null(await alerts.GetAlert(AlertIds.Of("air-1", 10)));

            // What every change writes holds fewer than a page of cleared alerts; the rest are in the pages it names.
            var serializer = first.Client.ServiceProvider.GetRequiredService<Serializer>();
            var state = store.Read<AlertsState>("alerts", grain, serializer)!;
            Assert.InRange(state.Alerts.Count(r => r.Alert.State == AlertState.Cleared), 0, AlertsGrain.PageSize - 1);
            Assert.NotEmpty(state.Pages);
            Assert.Equal(
                state.Pages.Select(p => $"alerts-page-{p}").Order(StringComparer.Ordinal),
                store.StatesOf(grain).Where(s => s.StartsWith("alerts-page-", StringComparison.Ordinal)));
            await first.Kill();
        }

        await using var second = await StartAsync(start + TimeSpan.FromSeconds(10), store);
        var again = second.Client.GetGrain<IAlertsGrain>("air-1");
        Assert.Equal(kept, [.. (await again.GetAlerts()).OrderBy(a => NumberOf(a.Id))]);
        Assert.Equal(oldest.Trail, (await again.GetAlert(oldest.Alert.Id))!.Trail);
        // A cleared alert in a page is still known, and still not for acknowledging.
        var ack = await again.Acknowledge(oldest.Alert.Id, "Trần Thị Bích", null);
        Assert.Equal((AckOutcome.NotActive, oldest.Alert), (ack.Outcome, ack.Alert));

        // An hour on, every alert cleared before it is past the retention: the next change drops them and their pages.
        var later = second.Feed.Mark();
        await second.Report("air-1", ("pm25", 40));
        await second.Feed.Alert(a => a.Id == AlertIds.Of("air-1", 51) && a.State == AlertState.Cleared, later);
        await second.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await second.Report("air-1", ("pm25", 60));
        await second.Feed.Alert(a => NumberOf(a.Id) > 51 && a.Metric == "pm25" && a.State == AlertState.Active, later);
        // A call after the change's turn: the change has been stored, its pages deleted.
        var left = await again.GetAlerts();
        Assert.All(left, a => Assert.True(NumberOf(a.Id) > 51, $"{a.Id} was cleared more than the retention ago"));
        Assert.DoesNotContain(store.StatesOf(grain), s => s.StartsWith("alerts-page-", StringComparison.Ordinal));
    }
}
