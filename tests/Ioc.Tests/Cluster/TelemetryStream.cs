using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace Ioc.Tests.Cluster;

/// <summary>A point the ingest process acknowledged (202).</summary>
public sealed record AcknowledgedPoint(string Unit, string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>
/// A steady, bounded stream of points to an ingest process: every period one request with one point per
/// series, whose value is the tick number (1, 2, 3, ...), so a screen can tell a value that was sent, and how
/// recent it is, from one that never was. It stops after <c>maxTicks</c> or when stopped.
/// </summary>
public sealed class TelemetryStream : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<(string Unit, string Metric)> _series;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<AcknowledgedPoint> _acknowledged = new();
    private readonly Task _loop;
    private long _lastSent;

    public TelemetryStream(Uri ingest, string token, IReadOnlyList<(string Unit, string Metric)> series, TimeSpan period, int maxTicks)
    {
        _http = new HttpClient { BaseAddress = ingest, Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        _series = series;
        _loop = Run(period, maxTicks);
    }

    /// <summary>The highest value sent so far; no screen may show a higher one.</summary>
    public long LastSent => Interlocked.Read(ref _lastSent);

    /// <summary>Requests that failed or were refused: their points were never acknowledged.</summary>
    public int Refused { get; private set; }

    /// <summary>Every point acknowledged with 202: each must reach the time-series server.</summary>
    public IReadOnlyCollection<AcknowledgedPoint> Acknowledged => _acknowledged;

    /// <summary>Stops sending and waits for the request in flight, so that <see cref="Acknowledged"/> is final.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
    }

    private async Task Run(TimeSpan period, int maxTicks)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            for (var tick = 1L; tick <= maxTicks && await timer.WaitForNextTickAsync(_stop.Token); tick++)
            {
                // Whole milliseconds, as the time-series server keeps them, so a stored point is found by its time.
                var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                var points = _series.Select(s => new AcknowledgedPoint(s.Unit, s.Metric, tick, now)).ToArray();
                Interlocked.Exchange(ref _lastSent, tick);
                try
                {
                    using var response = await _http.PostAsJsonAsync("/api/v1/telemetry",
                        new { points = points.Select(p => new { unit = p.Unit, metric = p.Metric, value = p.Value, ts = p.Timestamp }) }, _stop.Token);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                        foreach (var p in points) _acknowledged.Enqueue(p);
                    else
                        Refused++;
                }
                catch (HttpRequestException)
                {
                    Refused++;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}
