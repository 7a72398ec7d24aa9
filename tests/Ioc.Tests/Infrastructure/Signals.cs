namespace Ioc.Tests.Infrastructure;

/// <summary>
/// Everything of one kind a test has received, in order, and a way to wait for the first that matches
/// from a given position on: a signal, never a sleep.
/// </summary>
public sealed class Signals<T>
{
    /// <summary>How long a test waits for a signal before it fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly List<T> _items = [];
    private TaskCompletionSource _more = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many have arrived; a position to wait from.</summary>
    public int Count
    {
        get { lock (_items) return _items.Count; }
    }

    /// <summary>Everything that has arrived so far, in order.</summary>
    public IReadOnlyList<T> All
    {
        get { lock (_items) return [.. _items]; }
    }

    /// <summary>Records arrivals and wakes whoever waits.</summary>
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

    /// <summary>The first item at or after position <paramref name="from"/> that matches; fails after <see cref="Patience"/>.</summary>
    public async Task<T> First(Func<T, bool> match, int from = 0)
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
                throw new TimeoutException($"No matching {typeof(T).Name} arrived within {Patience}.");
            }
        }
    }
}
