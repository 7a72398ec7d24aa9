using System.Collections.Immutable;
using Ioc.Gateway.Live;

namespace Ioc.Tests.Live;

/// <summary>What a screen gets when it subscribes to an entity with thousands of children.</summary>
public sealed class SnapshotBoundTests
{
    private static EntitySnapshot Locality(IEnumerable<ChildStatus> children)
    {
        ImmutableArray<ChildStatus> all = [.. children];
        var counts = new StatusCounts(
            all.Count(c => c.Status == HealthStatus.Ok), all.Count(c => c.Status == HealthStatus.BelowTarget),
            all.Count(c => c.Status == HealthStatus.Warning), all.Count(c => c.Status == HealthStatus.Critical),
            all.Count(c => c.Status == HealthStatus.Offline));
        return new EntitySnapshot("van-lam", 7, HealthStatus.Critical, null, [], [], counts, all);
    }

    [Fact]
    public void A_long_list_keeps_the_most_severe_children_and_the_whole_counts()
    {
        var statuses = new[] { HealthStatus.Ok, HealthStatus.BelowTarget, HealthStatus.Warning, HealthStatus.Critical, HealthStatus.Offline };
        var snapshot = Locality(Enumerable.Range(0, 2_000).Select(i => new ChildStatus($"unit-{i:D4}", i % 40 == 0 ? statuses[i / 40 % 5] : HealthStatus.Ok, null)));

        var bounded = LiveHub.WithWorstChildren(snapshot, LiveHub.ChildrenOnSubscribe);

        Assert.Equal(LiveHub.ChildrenOnSubscribe, bounded.Children.Length);
        var expected = snapshot.Children.OrderByDescending(c => c.Status).ThenBy(c => c.Id, StringComparer.Ordinal).Take(LiveHub.ChildrenOnSubscribe);
        Assert.Equal(expected, bounded.Children);
        // Everything not severe enough to be listed is no more severe than the least severe listed.
        var listed = bounded.Children.Select(c => c.Id).ToHashSet();
        Assert.All(snapshot.Children.Where(c => !listed.Contains(c.Id)), c => Assert.True(c.Status <= bounded.Children[^1].Status));
        Assert.Equal(snapshot.Units, bounded.Units);
        Assert.Equal(snapshot with { Children = bounded.Children }, bounded);
    }

    [Fact]
    public void A_short_list_is_sent_as_it_is()
    {
        var snapshot = Locality(Enumerable.Range(0, 12).Select(i => new ChildStatus($"unit-{i}", HealthStatus.Ok, null)));
        Assert.Same(snapshot, LiveHub.WithWorstChildren(snapshot, LiveHub.ChildrenOnSubscribe));
    }
}
