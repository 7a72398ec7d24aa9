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

    // xUnit makes a new instance for each test, so each test has reads and a sharer of its own.
    private readonly HeldReads _reads = new();
    private readonly SharedReads<string, object> _shared;

    public SharedReadsTests() => _shared = new(_reads.Read);

    [Fact]
    public async Task Callers_that_ask_while_a_read_runs_share_the_next_read_and_never_the_running_one()
    {
        var first = _shared.Read("van-lam");
        var second = _shared.Read("van-lam");
        var third = _shared.Read("van-lam");

        Assert.Equal(1, _reads.Started);
        var before = new object();
        (await _reads.Nth(0)).SetResult(before);
        Assert.Same(before, await first);
        // The two that asked while the first read ran get a read started after they asked.
        var after = new object();
        (await _reads.Nth(1)).SetResult(after);
        Assert.Same(after, await second);
        Assert.Same(after, await third);
        Assert.Equal(2, _reads.Started);
        Assert.Equal(0, _shared.InFlight);
    }

    [Fact]
    public async Task Different_keys_are_read_apart()
    {
        var vanLam = _shared.Read("van-lam");
        var hungYen = _shared.Read("hung-yen");

        Assert.Equal(2, _reads.Started);
        var a = new object();
        var b = new object();
        (await _reads.Nth(1)).SetResult(b);
        (await _reads.Nth(0)).SetResult(a);
        Assert.Same(a, await vanLam);
        Assert.Same(b, await hungYen);
    }

    [Fact]
    public async Task A_failed_read_fails_only_its_own_callers_and_the_next_read_still_runs()
    {
        var failing = _shared.Read("van-lam");
        var waiting = _shared.Read("van-lam");
        (await _reads.Nth(0)).SetException(new InvalidOperationException("silo lost"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        var value = new object();
        (await _reads.Nth(1)).SetResult(value);
        Assert.Same(value, await waiting);
        Assert.Equal(0, _shared.InFlight);
    }
}
