using System.Collections.Immutable;
using Ioc.Contracts;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A live feed that a test registers with the cluster, as a gateway would, and then waits on. It keeps
/// everything the push path delivers, so a test may wait for signals in any order; a wait looks at what
/// arrived after a <see cref="Mark"/> it took before acting.
/// </summary>
public sealed class FeedProbe : ILiveFeed
{
    /// <summary>How long a test waits for a signal before it fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly Received<EntityUpdate> _updates = new();
    private readonly Received<Alert> _alerts = new();

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

    /// <summary>The first update received since <paramref name="mark"/> that matches; fails after <see cref="Patience"/>.</summary>
    public Task<EntityUpdate> Update(Func<EntityUpdate, bool> match, (int Updates, int Alerts) mark = default) =>
        _updates.First(match, mark.Updates, "update");

    /// <summary>The first alert received since <paramref name="mark"/> that matches; fails after <see cref="Patience"/>.</summary>
    public Task<Alert> Alert(Func<Alert, bool> match, (int Updates, int Alerts) mark = default) =>
        _alerts.First(match, mark.Alerts, "alert");

    private sealed class Received<T>
    {
        private readonly List<T> _items = [];
        private TaskCompletionSource _more = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count
        {
            get { lock (_items) return _items.Count; }
        }

        public void Add(IEnumerable<T> items)
        {
            TaskCompletionSource more;
            lock (_items)
            {
                _items.AddRange(items);
                more = _more;
                _more = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            more.TrySetResult();
        }

        public async Task<T> First(Func<T, bool> match, int from, string what)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(Patience);
            var next = from;
            while (true)
            {
                Task more;
                lock (_items)
                {
                    for (; next < _items.Count; next++)
                        if (match(_items[next])) return _items[next];
                    more = _more.Task;
                }
                try
                {
                    await more.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"No matching {what} arrived within {Patience}.");
                }
            }
        }
    }
}
