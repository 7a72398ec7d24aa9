using System.Runtime.CompilerServices;

namespace Ioc.Tests.Infrastructure;

internal static class TestProcess
{
    /// <summary>
    /// This one process hosts a dozen hubs at once (each a silo, a gateway and an ingest), far more than any
    /// production process, and some of their storage calls block a pool thread while SQLite or a child process
    /// works. A larger floor of pool threads keeps one busy hub from starving the others' Orleans timers and
    /// grain calls while the pool grows.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseThreadPoolFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    /// <summary>A server a test needs is missing: the test fails under CI (so CI never silently skips) and is skipped elsewhere.</summary>
    [ModuleInitializer]
    internal static void ReportMissingComponents() =>
        Component.WhenMissing = message =>
        {
            if (Component.UnderCi) Assert.Fail(message);
            Assert.Skip(message);
        };
}
