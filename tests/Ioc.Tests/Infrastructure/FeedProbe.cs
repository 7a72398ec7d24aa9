using System.Collections.Immutable;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A live feed that a test registers with the cluster, as a gateway would, and then waits on. It keeps
/// everything the push path delivers, so a test may wait for signals in any order; a wait looks at what
/// arrived after a <see cref="Mark"/> it took before acting.
/// </summary>
public sealed class FeedProbe : ILiveFeed
{
    private readonly Signals<EntityUpdate> _updates = new();
    private readonly Signals<Alert> _alerts = new();

    public Task OnUpdates(ImmutableArray<EntityUpdate> updates)
    {
        _updates.Add(updates);
        return Task.CompletedTask;
    }

    public Task OnAlerts(ImmutableArray<Alert> alerts)
    {
        _alerts.Add(alerts);
        return Task.CompletedTask;
    }

    /// <summary>A point in what has been received; waits from it ignore anything earlier.</summary>
    public (int Updates, int Alerts) Mark() => (_updates.Count, _alerts.Count);

    /// <summary>The first update received since <paramref name="mark"/> that matches; fails after <see cref="Signals{T}.Patience"/>.</summary>
    public Task<EntityUpdate> Update(Func<EntityUpdate, bool> match, (int Updates, int Alerts) mark = default) =>
        _updates.First(match, mark.Updates);

    /// <summary>The first alert received since <paramref name="mark"/> that matches; fails after <see cref="Signals{T}.Patience"/>.</summary>
    public Task<Alert> Alert(Func<Alert, bool> match, (int Updates, int Alerts) mark = default) =>
        _alerts.First(match, mark.Alerts);
}
