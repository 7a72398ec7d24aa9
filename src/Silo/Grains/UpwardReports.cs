using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Ioc.Contracts;

namespace Ioc.Silo.Grains;

/// <summary>
/// Carries the entity grains' reports up the tree, and their updates to the wall, for the whole silo: what the
/// grains of this silo hand over for one parent goes to it as one <see cref="IRollupGrain.ChildrenChanged"/> call,
/// and their updates go to the silo's push notifier as one <see cref="IPushNotifierGrain.PublishMany"/> call. Each
/// parent and each notifier has at most one call in flight; what is handed over meanwhile goes in the next one,
/// which leaves as soon as that call ends. So a round of the live path that changes B units costs a call per parent
/// and one publish, not 2–4 calls and a publish per unit. Nothing is held back on purpose: a parent that is idle is
/// sent to at once.
/// </summary>
/// <remarks>
/// <para>
/// The calls are made from the thread pool, outside any grain's context, as the silo's own client (Orleans sends
/// such a call from the silo's hosted client); no grain code runs here. A grain hands over immutable records on its
/// own turn and awaits the returned task there, so its continuation runs on its own scheduler again.
/// </para>
/// <para>
/// The task of a report ends when the call that carried it has ended, and faults with the call: every child whose
/// report was in a call that failed learns it, and sends everything again once the parent can be reached
/// (<see cref="UpdatePump"/>). A child that awaits its report before sending the next appears at most once in a call.
/// </para>
/// </remarks>
public sealed class UpwardReports
{
    /// <summary>Name of the meter of these counters.</summary>
    public const string MeterName = "Ioc.Silo";

    private readonly ConcurrentDictionary<GrainId, Outbox<ChildReport>> _parents = new();
    private readonly ConcurrentDictionary<GrainId, Outbox<EntityUpdate>> _notifiers = new();
    private readonly Counter<long> _reports;
    private readonly Counter<long> _reportCalls;
    private readonly Counter<long> _updates;
    private readonly Counter<long> _publishCalls;

    /// <summary>Creates the silo's batcher.</summary>
    public UpwardReports(IMeterFactory? meters = null)
    {
        var meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        // Calls ÷ reports and publishes ÷ updates are what a round costs per unit; before this batching both were 1.
        _reports = meter.CreateCounter<long>("ioc.silo.upward.reports", "{report}", "Reports of entities to their parents, one per parent.");
        _reportCalls = meter.CreateCounter<long>("ioc.silo.upward.calls", "{call}", "Calls that carried the reports, one per parent per round.");
        _updates = meter.CreateCounter<long>("ioc.silo.upward.updates", "{update}", "Updates of entities to the wall.");
        _publishCalls = meter.CreateCounter<long>("ioc.silo.upward.publishes", "{call}", "Calls to the push notifier that carried the updates.");
    }

    /// <summary>
    /// Hands <paramref name="report"/> to the next call to the roll-up <paramref name="parent"/>; the task ends when
    /// that call has ended, and fails with it.
    /// </summary>
    public Task Report(IRollupGrain parent, ChildReport report)
    {
        _reports.Add(1);
        return _parents.GetOrAdd(parent.GetGrainId(), static (_, args) => new Outbox<ChildReport>(
            reports => args.parent.ChildrenChanged(reports), args.self._reportCalls), (parent, self: this)).Add(report);
    }

    /// <summary>
    /// Hands <paramref name="update"/> to the next call to <paramref name="notifier"/>; the task ends when that call
    /// has ended. A lost update shows on the screens as a gap in the entity's sequence. Updates of one entity waiting
    /// for the same call fold into one (<see cref="LiveUpdates.Merge"/>), as the notifier would fold them, so what
    /// waits is at most one update per entity however long the notifier takes.
    /// </summary>
    public Task Publish(IPushNotifierGrain notifier, EntityUpdate update)
    {
        _updates.Add(1);
        return _notifiers.GetOrAdd(notifier.GetGrainId(), static (_, args) => new Outbox<EntityUpdate>(
            updates => args.notifier.PublishMany(updates), args.self._publishCalls, u => u.Id, LiveUpdates.Merge, PublishPatience),
            (notifier, self: this)).Add(update);
    }

    // How long a publish is waited for before the next goes out beside it (UnansweredCalls), as the notifier does for
    // its feeds. The notifier is on this silo and answers in a turn; one that has not answered within a
    // second is stuck, and the wall must not wait for it until the response timeout. Parents get no such patience: a
    // child has at most one report out, and a report that is not answered is resent whole when it fails.
    private static readonly TimeSpan PublishPatience = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What is waiting for one target, and whether a call to it is in flight. Items handed over while a call is in
    /// flight share the next call and its task; the call leaves from the thread pool as soon as the previous ends.
    /// With <paramref name="key"/>, an item folds into the waiting one of the same key (<paramref name="fold"/>). With
    /// <paramref name="patience"/>, a call not answered within it is left to end by itself and the next goes out beside
    /// it, up to <see cref="UnansweredCalls.Most"/> such calls.
    /// </summary>
    private sealed class Outbox<T>(
        Func<ImmutableArray<T>, Task> send, Counter<long> calls, Func<T, string>? key = null, Func<T, T, T>? fold = null,
        TimeSpan? patience = null)
    {
        // Calls given up on that have not ended yet.
        private readonly UnansweredCalls _unanswered = new();
        private readonly Lock _lock = new();
        private readonly ImmutableArray<T>.Builder _pending = ImmutableArray.CreateBuilder<T>();
        private readonly Dictionary<string, int>? _positions = key is null ? null : new(StringComparer.Ordinal);
        private TaskCompletionSource? _next;
        private bool _sending;

        public Task Add(T item)
        {
            lock (_lock)
            {
                if (_positions is null)
                    _pending.Add(item);
                else if (_positions.TryGetValue(key!(item), out var at))
                    _pending[at] = fold!(_pending[at], item);
                else
                {
                    _positions[key!(item)] = _pending.Count;
                    _pending.Add(item);
                }
                var next = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!_sending)
                {
                    _sending = true;
                    // Off the grain's scheduler and without its execution context: the call is the silo's, not the
                    // turn's, and its request context must not be the first child's.
                    ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.Run(), this, preferLocal: false);
                }
                return next.Task;
            }
        }

        private async Task Run()
        {
            while (true)
            {
                ImmutableArray<T> batch;
                TaskCompletionSource done;
                lock (_lock)
                {
                    if (_pending.Count == 0)
                    {
                        _sending = false;
                        return;
                    }
                    batch = _pending.DrainToImmutable();
                    _positions?.Clear();
                    done = _next!;
                    _next = null;
                }
                calls.Add(1);
                var call = Ended(send, batch, done);
                if (patience is not { } wait || !_unanswered.MayGiveUp)
                {
                    await call;
                    continue;
                }
                // Real time, like the pumps' retry delay: this waits on the silo, not on anything in the domain.
                try
                {
                    await call.WaitAsync(wait);
                }
                catch (TimeoutException)
                {
                    _ = _unanswered.GiveUp(call);
                }
            }
        }

        // Never throws: the call's outcome goes to the task of everything it carried.
        private static async Task Ended(Func<ImmutableArray<T>, Task> send, ImmutableArray<T> batch, TaskCompletionSource done)
        {
            try
            {
                await send(batch);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }
    }
}
