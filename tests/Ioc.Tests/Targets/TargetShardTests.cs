using System.Collections.Concurrent;
using Ioc.Silo.Grains;

namespace Ioc.Tests.Targets;

/// <summary>
/// Target changes are pushed through the per-locality shards to the active units they concern: a unit
/// activating asks its shard, never the one targets grain, and a change costs what it changes.
/// </summary>
public sealed class TargetShardTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    private static TargetSetting AtLeast(double value) => new(new Target(TargetDirection.AtLeast, value), null);

    [Fact]
    public async Task A_change_reaches_the_active_units_whose_rules_it_changes_without_reactivating_them_and_activates_no_other_unit()
    {
        var calls = new CallLog();
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, configureSilo: calls.Install);
        await hub.Report("kim-dong-ubnd", ("it-officials", 2));
        await hub.Report("kim-dong-air-1", ("pm25", 45));
        await hub.Report("an-thi-ubnd", ("it-officials", 2));
        var active = calls.ActiveUnits();
        var targets = hub.Client.GetGrain<ITargetsGrain>(0);

        calls.Clear();
        await targets.Set("kim-dong", "it-officials", AtLeast(3), "admin", null);

        // Reached before Set returned, by the activation that was already there.
        Assert.Equal(1, (await hub.Client.GetGrain<IUnitGrain>("kim-dong-ubnd").GetSnapshot()).BelowTarget);
        Assert.Equal(["ApplyRules on kim-dong-ubnd"], calls.ToUnits());
        Assert.True(active.SetEquals(calls.ActiveUnits()));
        Assert.Empty(calls.Reactivated());

        calls.Clear();
        await targets.Set(hub.Catalog.Province.Id, "pm25", new TargetSetting(null, new Thresholds(TargetDirection.AtMost, 40, 60)), "admin", null);

        // A province-wide change goes to every locality's shard, and from them only to the one active air station.
        Assert.Equal(HealthStatus.Warning, (await hub.Client.GetGrain<IUnitGrain>("kim-dong-air-1").GetSnapshot()).Status);
        Assert.Equal(["ApplyRules on kim-dong-air-1"], calls.ToUnits());
        Assert.True(active.SetEquals(calls.ActiveUnits()));
        Assert.Empty(calls.Reactivated());
        Assert.True(hub.Catalog.UnitsUnder(hub.Catalog.Province.Id).Count(u => hub.Catalog.Entity(u).Metrics.Contains("pm25")) > 1);
    }

    [Fact]
    public async Task Units_activating_ask_their_shards_and_never_the_targets_grain_which_hears_at_most_once_from_each_shard()
    {
        var calls = new CallLog();
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, configureSilo: calls.Install);
        await hub.Client.GetGrain<ITargetsGrain>(0).Set("tien-lu", "dt-budget-share", AtLeast(1.5), "admin", null);
        calls.Clear();

        var units = hub.Catalog.Entities.Where(e => e.Kind == EntityKind.Unit).ToList();
        await Task.WhenAll(units.Select(u => hub.Client.GetGrain<IUnitGrain>(u.Id).GetSnapshot()));

        Assert.Equal(units.Count, calls.ActiveUnits().Count);
        Assert.DoesNotContain(calls.TargetsCallers(), caller => calls.IsUnit(caller));
        Assert.True(calls.TargetsCallers().Count <= hub.Catalog.Entities.Count(e => e.IsLocality));
        Assert.Equal(units.Count, calls.Count("Register"));

        // And the rules they were given hold the change made before they activated.
        await hub.Report("tien-lu-ubnd", ("dt-budget-share", 1.2));
        Assert.Equal(1, (await hub.Client.GetGrain<IUnitGrain>("tien-lu-ubnd").GetSnapshot()).BelowTarget);
    }

    [Fact]
    public async Task After_a_restart_units_judge_by_the_same_rules_from_their_shards_stored_copy_even_before_the_targets_grain_answers()
    {
        var store = new SharedGrainStore();
        await using (var first = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, store))
        {
            var targets = first.Client.GetGrain<ITargetsGrain>(0);
            await targets.Set("kim-dong", "it-officials", AtLeast(3), "admin", null);
            await targets.Set("dtm-tx-my-hao", "pm25", new TargetSetting(null, new Thresholds(TargetDirection.AtMost, 40, 60)), "admin", null);
            await first.Kill();
        }

        // The targets grain does not answer the shards' catch-up: what the units get is the shards' stored copy.
        var calls = new CallLog { RefuseCatchUp = true };
        await using var second = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start + TimeSpan.FromMinutes(1), store, configureSilo: calls.Install);
        await second.Report("kim-dong-ubnd", ("it-officials", 2));
        await second.Report("khoai-chau-ubnd", ("it-officials", 2));
        await second.Report("tx-my-hao-air-1", ("pm25", 45));

        Assert.Equal(1, (await second.Client.GetGrain<IUnitGrain>("kim-dong-ubnd").GetSnapshot()).BelowTarget);
        Assert.Equal(0, (await second.Client.GetGrain<IUnitGrain>("khoai-chau-ubnd").GetSnapshot()).BelowTarget);
        Assert.Equal(HealthStatus.Warning, (await second.Client.GetGrain<IUnitGrain>("tx-my-hao-air-1").GetSnapshot()).Status);
        Assert.DoesNotContain(calls.TargetsCallers(), caller => calls.IsUnit(caller));
    }

    [Fact]
    public async Task A_change_a_shard_could_not_take_is_stored_answered_and_still_reaches_the_active_units()
    {
        var calls = new CallLog { UpdatesRefused = ("kim-dong", 1) };
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, configureSilo: calls.Install);
        await hub.Report("kim-dong-ubnd", ("it-officials", 2));
        var mark = hub.Feed.Mark();

        // The admin's change is stored and answered even though the shard refused it.
        var change = await hub.Client.GetGrain<ITargetsGrain>(0).Set("kim-dong", "it-officials", AtLeast(3), "admin", null);
        Assert.Equal(change, (await hub.Client.GetGrain<ITargetsGrain>(0).GetAudit())[0]);

        // It reaches the unit all the same: by the targets grain sending it again, or by the shard catching up
        // (its first catch-up may run after the change), whichever comes first.
        await hub.Advance(TimeSpan.FromSeconds(5));
        await hub.Feed.Update(u => u.Id == "kim-dong-ubnd" && u.BelowTarget == 1, mark);
        Assert.True(calls.UpdatesRefusedSoFar >= 1);
    }

    [Fact]
    public async Task After_the_silo_hosting_a_localitys_shard_is_killed_a_change_still_reaches_the_localitys_active_units()
    {
        await using var hub = await HubCluster.StartAsync(HubCluster.SeededCatalog(), Start, silos: 2);
        var units = hub.Catalog.Entities.Where(e => e.Kind == EntityKind.Unit).Select(e => e.Id).ToList();
        await Task.WhenAll(units.Select(u => hub.Client.GetGrain<IUnitGrain>(u).GetSnapshot()));

        // A unit active on one silo whose locality's shard lives on the other: killing that silo loses the shard,
        // and with it the shard's list of active units, but not the unit.
        (string Unit, SiloAddress ShardSilo)? chosen = null;
        foreach (var candidate in units.Where(u => hub.Catalog.Entity(u).Metrics.Contains("it-officials")))
        {
            var shardSilo = await hub.SiloHosting(hub.Client.GetGrain<ITargetShardGrain>(TargetShards.ShardOf(hub.Catalog, candidate)));
            if (!shardSilo.Equals(await hub.SiloHosting(hub.Client.GetGrain<IUnitGrain>(candidate))))
            {
                chosen = (candidate, shardSilo);
                break;
            }
        }
        Assert.True(chosen is not null, "every unit reporting it-officials was placed on the silo of its locality's shard");
        var (unit, lost) = chosen.Value;
        var locality = TargetShards.ShardOf(hub.Catalog, unit);
        await hub.Report(unit, ("it-officials", 2));
        await hub.KillSilo(lost);
        Assert.NotEqual(lost, await hub.SiloHosting(hub.Client.GetGrain<IUnitGrain>(unit)));

        // A change made before the unit registers again with the shard's new activation does not reach it at once (the
        // shard came back without its list), but when the unit registers again, within one refresh period.
        var targets = hub.Client.GetGrain<ITargetsGrain>(0);
        var mark = hub.Feed.Mark();
        await targets.Set(locality, "it-officials", AtLeast(3), "admin", null);
        Assert.Equal(0, (await hub.Client.GetGrain<IUnitGrain>(unit).GetSnapshot()).BelowTarget);
        // A second at a time, each second's timer tick taken by the unit before the clock moves on (a call to the unit
        // queues behind it): a grain timer is armed again only once its tick has ended, so a clock moved on in large
        // jumps while the machine is busy can leave the unit no tick after the refresh period has passed.
        var refresh = new HubOptions().RulesRefreshPeriod + new HubOptions().FreshnessCheckPeriod;
        for (var moved = TimeSpan.Zero; moved < refresh; moved += TimeSpan.FromSeconds(1))
        {
            await hub.Advance(TimeSpan.FromSeconds(1));
            await hub.Client.GetGrain<IUnitGrain>(unit).GetSnapshot();
        }
        await hub.Feed.Update(u => u.Id == unit && u.BelowTarget == 1, mark);

        // The shard has its list back: the next change is pushed to the unit before the change returns.
        await targets.Set(locality, "it-officials", AtLeast(2), "admin", null);
        Assert.Equal(0, (await hub.Client.GetGrain<IUnitGrain>(unit).GetSnapshot()).BelowTarget);
    }

    /// <summary>Records grain calls in the test silo: which units were called, by which activation, and which grains called the targets grain.</summary>
    private sealed class CallLog
    {
        private readonly ConcurrentQueue<string> _toUnits = new();
        private readonly ConcurrentDictionary<GrainId, object> _unitActivations = new();
        private readonly ConcurrentQueue<GrainId> _targetsCallers = new();
        private readonly ConcurrentQueue<string> _methods = new();
        private readonly ConcurrentQueue<GrainId> _reactivated = new();

        /// <summary>Whether calls to the targets grain's catch-up answer are refused, as if it could not be reached.</summary>
        public bool RefuseCatchUp { get; init; }

        /// <summary>A shard whose first updates are refused, as if it could not be reached, and how many.</summary>
        public (string Shard, int Count) UpdatesRefused { get; init; }

        private int _refused;

        /// <summary>How many updates the shard was sent while it was refusing them, or since.</summary>
        public int UpdatesRefusedSoFar => Volatile.Read(ref _refused);

        public void Install(Orleans.Hosting.ISiloBuilder silo) => silo.AddIncomingGrainCallFilter(async call =>
        {
            _methods.Enqueue(call.InterfaceMethod.Name);
            if (call.Grain is UnitGrain unit)
            {
                _toUnits.Enqueue($"{call.InterfaceMethod.Name} on {call.TargetId.Key}");
                // A second activation of the same unit would be a different object.
                if (!ReferenceEquals(_unitActivations.GetOrAdd(call.TargetId, unit), unit))
                    _reactivated.Enqueue(call.TargetId);
            }
            if (call.Grain is TargetShardGrain && call.InterfaceMethod.Name == nameof(ITargetShardGrain.Update)
                && call.TargetId.Key.ToString() == UpdatesRefused.Shard && Interlocked.Increment(ref _refused) <= UpdatesRefused.Count)
                throw new TimeoutException("The shard is unreachable in this test.");
            if (call.Grain is TargetsGrain && call.SourceId is { } source)
            {
                _targetsCallers.Enqueue(source);
                if (RefuseCatchUp && call.InterfaceMethod.Name == nameof(ITargetsGrain.OverridesFor))
                    throw new TimeoutException("The targets grain is unreachable in this test.");
            }
            await call.Invoke();
        });

        public void Clear()
        {
            _toUnits.Clear();
            _targetsCallers.Clear();
            _methods.Clear();
        }

        /// <summary>Calls made to units since the last clear, except the snapshots the test reads.</summary>
        public List<string> ToUnits() => [.. _toUnits.Where(c => !c.StartsWith("GetSnapshot", StringComparison.Ordinal))];

        public HashSet<GrainId> ActiveUnits() => [.. _unitActivations.Keys];

        public List<GrainId> TargetsCallers() => [.. _targetsCallers];

        public bool IsUnit(GrainId id) => _unitActivations.ContainsKey(id);

        public int Count(string method) => _methods.Count(m => m == method);

        /// <summary>Units called through a second activation since the test began.</summary>
        public List<GrainId> Reactivated() => [.. _reactivated];
    }
}
