namespace Ioc.Tests.Infrastructure;

/// <summary>
/// The running test's cancellation token, one name for every test class (imported as a static global using):
/// xunit cancels it when the test times out or the run is stopped.
/// </summary>
public static class TestToken
{
    /// <summary>Cancelled when the current test is aborted.</summary>
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;
}
