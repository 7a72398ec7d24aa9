using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.LoadGen;

/// <summary>What a reconnect storm measured.</summary>
/// <param name="Screens">Screens that took part.</param>
/// <param name="Completed">Screens that were connected and subscribed before the timeout.</param>
/// <param name="PerScreen">Time from a screen's start to its last subscription answered.</param>
/// <param name="FirstError">The first failure, if any.</param>
public sealed record StormReport(int Screens, int Completed, Percentiles PerScreen, string? FirstError);

/// <summary>
/// Wall screens coming back all at once, as after a gateway restart or a network cut at the operations
/// centre: each connects to <c>/hubs/live</c>, calls <c>SubscribeAlerts()</c>, then <c>Subscribe</c> for the
/// province and for one locality, exactly as the wall does. No gate: they all start together.
/// </summary>
public sealed class ReconnectStorm : IAsyncDisposable
{
    private readonly List<HubConnection> _connections = [];

    /// <summary>Runs the storm; the screens stay connected until this is disposed.</summary>
    public async Task<StormReport> RunAsync(
        LoadTarget target, string bearer, string province, IReadOnlyList<string> localities, int screens, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        var histogram = new Histogram();
        string? firstError = null;
        var connections = Enumerable.Range(0, screens).Select(_ => ScreenPool.BuildConnection(target, bearer)).ToArray();
        lock (_connections) _connections.AddRange(connections);
        var tasks = connections.Select((connection, k) => Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                await connection.StartAsync(bound.Token);
                await connection.InvokeAsync<JsonElement>("SubscribeAlerts", bound.Token);
                await connection.InvokeAsync<JsonElement>("Subscribe", province, bound.Token);
                if (localities.Count > 0)
                    await connection.InvokeAsync<JsonElement>("Subscribe", localities[k % localities.Count], bound.Token);
                histogram.Record(clock.Elapsed);
                return true;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}", null);
                return false;
            }
        }, CancellationToken.None)).ToArray();
        var done = await Task.WhenAll(tasks);
        cancellationToken.ThrowIfCancellationRequested();
        return new StormReport(screens, done.Count(d => d), histogram.Snapshot(), firstError);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        HubConnection[] connections;
        lock (_connections) connections = [.. _connections];
        _connections.Clear();
        await Task.WhenAll(connections.Select(async c =>
        {
            try { await c.DisposeAsync(); }
            catch (Exception) { /* The hub may be gone already. */ }
        }));
    }
}
