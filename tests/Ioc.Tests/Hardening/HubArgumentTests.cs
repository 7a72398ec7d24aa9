using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Ioc.Tests.Hardening;

/// <summary>SignalR arguments the hub cannot bind or does not know are the screen's fault: an error to the caller, a warning at most in the log.</summary>
public sealed class HubArgumentTests(HubArgumentTests.Hub hub) : IClassFixture<HubArgumentTests.Hub>
{
    /// <summary>The hub with its log entries kept.</summary>
    public sealed class Hub : HubFactory
    {
        public ListLogger Logs { get; } = new();

        protected override ILoggerProvider LogProvider => Logs;
    }

    [Fact]
    public async Task Arguments_of_the_wrong_type_or_number_get_a_hub_error_leave_the_connection_usable_and_log_no_error()
    {
        await using var connection = hub.CreateLiveConnection();
        await connection.StartAsync(Cancel);
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", 42, Cancel));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", Cancel));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam", "extra", Cancel));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<EntitySnapshot>("Subscribe", "no-such-entity", Cancel));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("NoSuchMethod", Cancel));

        // The connection still serves, and the answer to it came after every refusal above was logged, if it was.
        Assert.Equal("van-lam", (await connection.InvokeAsync<EntitySnapshot>("Subscribe", "van-lam", Cancel)).Id);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Level >= LogLevel.Error);
        // The unknown entity, the one refusal the hub itself made, is a client's fault: a warning without a stack.
        var warning = Assert.Single(hub.Logs.Entries, e => e.Message.Contains("Subscribe: Unknown entity 'no-such-entity'", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Null(warning.Exception);
    }
}
