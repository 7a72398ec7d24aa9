using Ioc.Gateway.Live;

namespace Ioc.Tests.Live;

/// <summary>
/// Screens that subscribe in the same moment share one read, and never one that started before they asked:
/// each read here is held open by the test and released by hand, so no timing is involved.
/// </summary>
public sealed class SharedReadsTests
{
    /// <summary>Reads whose answers the test gives, one at a time, in the order they were started.</summary>
    private sealed class HeldReads
    {
        private readonly Signals<TaskCompletionSource<object>> _started = new();

        public int Started => _started.Count;

        public Task<object> Read(string key)
        {
            var read = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
            _started.Add([read]);
            return read.Task;
        }

        /// <summary>The <paramref name="n"/>th read (from 0), once it has started.</summary>
        public Task<TaskCompletionSource<object>> Nth(int n) => _started.First(_ => true, n);
    }

    [Fact]
    public async Task Callers_that_ask_while_a_read_runs_share_the_next_read_and_never_the_running_one()
    {
        var reads = new HeldReads();
        var shared = new SharedReads<string, object>(reads.Read);

        var first = shared.Read("van-lam");
        var second = shared.Read("van-lam");
        var third = shared.Read("van-lam");

        Assert.Equal(1, reads.Started);
        var before = new object();
        (await reads.Nth(0)).SetResult(before);
        Assert.Same(before, await first);
        // The two that asked while the first read ran get a read started after they asked.
        var after = new object();
        (await reads.Nth(1)).SetResult(after);
        Assert.Same(after, await second);
        Assert.Same(after, await third);
        Assert.Equal(2, reads.Started);
        Assert.Equal(0, shared.InFlight);
    }

    [Fact]
    public async Task Different_keys_are_read_apart()
    {
        var reads = new HeldReads();
        var shared = new SharedReads<string, object>(reads.Read);

        var vanLam = shared.Read("van-lam");
        var hungYen = shared.Read("hung-yen");

        Assert.Equal(2, reads.Started);
        var a = new object();
        var b = new object();
        (await reads.Nth(1)).SetResult(b);
        (await reads.Nth(0)).SetResult(a);
        Assert.Same(a, await vanLam);
        Assert.Same(b, await hungYen);
    }

    [Fact]
    public async Task A_failed_read_fails_only_its_own_callers_and_the_next_read_still_runs()
    {
        var reads = new HeldReads();
        var shared = new SharedReads<string, object>(reads.Read);

        var failing = shared.Read("van-lam");
        var waiting = shared.Read("van-lam");
        (await reads.Nth(0)).SetException(new InvalidOperationException("silo lost"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        var value = new object();
        (await reads.Nth(1)).SetResult(value);
        Assert.Same(value, await waiting);
        Assert.Equal(0, shared.InFlight);
    }
}
