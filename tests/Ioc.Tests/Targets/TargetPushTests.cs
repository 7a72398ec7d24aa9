using System.Collections.Concurrent;
using Ioc.Contracts;
using Ioc.Silo.Grains;
using Ioc.Tests.Infrastructure;

namespace Ioc.Tests.Targets;

/// <summary>Target changes are pushed to the silos and the units; a unit activating asks only its own silo's replica.</summary>
public sealed class TargetPushTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 20, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Units_activating_after_a_change_judge_by_it_without_asking_the_targets_grain()
    {
        var calls = new ConcurrentQueue<string>();
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, configureSilo: silo => silo.AddIncomingGrainCallFilter(async call =>
        {
            if (call.Grain is TargetsGrain)
                calls.Enqueue(call.InterfaceMethod.Name);
            await call.Invoke();
        }));
        // One unit active before the change: the change is pushed to it.
        await hub.Report("kim-dong-ubnd", ("dt-budget-share", 0.8));
        Assert.Single((await hub.Client.GetGrain<IUnitGrain>("kim-dong-ubnd").GetStanding()).BelowTarget);

        await hub.Client.GetGrain<ITargetsGrain>(0).Set("hung-yen", "dt-budget-share", new TargetSetting(new Target(TargetDirection.AtLeast, 0.5), null), "admin", null);
        Assert.Empty((await hub.Client.GetGrain<IUnitGrain>("kim-dong-ubnd").GetStanding()).BelowTarget);

        // Every other unit activates now, after the change, and reads it from its silo's replica.
        var units = hub.Catalog.Entities.Where(e => e.Kind == EntityKind.Unit && e.Metrics.Contains("dt-budget-share") && e.Id != "kim-dong-ubnd").Select(e => e.Id).ToList();
        Assert.NotEmpty(units);
        foreach (var unit in units)
            await hub.Report(unit, ("dt-budget-share", 0.8));
        foreach (var unit in units)
            Assert.Empty((await hub.Client.GetGrain<IUnitGrain>(unit).GetStanding()).BelowTarget);

        Assert.DoesNotContain(nameof(ITargetsGrain.RulesFor), calls);
        // The one silo's replica subscribed once (its timer runs on the held clock and has not fired).
        Assert.Single(calls, nameof(ITargetsGrain.Subscribe));
    }
}
