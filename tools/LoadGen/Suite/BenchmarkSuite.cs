namespace Ioc.LoadGen.Suite;

internal sealed record SuiteOptions
{
    public static SuiteOptions From(Arguments a) => throw new NotImplementedException();
}

internal static class BenchmarkSuite
{
    public static Task<int> RunAsync(SuiteOptions options, CancellationToken cancellationToken) => Task.FromResult(0);
}
