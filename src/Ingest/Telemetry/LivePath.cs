using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Contracts;
using Ioc.Ingest.Storage;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// Carries accepted points to the unit grains. Whatever has queued up while the previous round of
/// grain calls was in flight goes out as one round with one call per unit, so the number of grain
/// calls follows the number of active units, not the number of requests.
/// </summary>
public sealed class LivePath(IGrainFactory grains, IngestMetrics metrics, IOptions<IngestOptions> options, ILogger<LivePath> logger) : BackgroundService
{
    private readonly Channel<IReadOnlyList<TelemetryPoint>> _queue = Channel.CreateBounded<IReadOnlyList<TelemetryPoint>>(
        new BoundedChannelOptions(options.Value.LivePathQueue) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues accepted points; waits only when the live path has fallen far behind.</summary>
    public ValueTask Enqueue(IReadOnlyList<TelemetryPoint> points, CancellationToken cancellationToken) =>
        _queue.Writer.WriteAsync(points, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var round = new Dictionary<string, ImmutableArray<MetricPoint>.Builder>(StringComparer.Ordinal);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            var points = 0;
            while (points < 200_000 && reader.TryRead(out var batch))
            {
                foreach (var p in batch)
                {
                    if (!round.TryGetValue(p.Unit, out var list))
                        round[p.Unit] = list = ImmutableArray.CreateBuilder<MetricPoint>();
                    list.Add(new MetricPoint(p.Metric, p.Value, p.Timestamp));
                }
                points += batch.Count;
            }
            var calls = new List<Task>(round.Count);
            foreach (var (unit, list) in round)
                calls.Add(grains.GetGrain<IUnitGrain>(unit).Report(list.DrainToImmutable()));
            round.Clear();
            metrics.LiveRound(calls.Count, points);
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception ex)
            {
                // The points are kept by the time-series path; the live view catches up on the next report.
                logger.LogWarning(ex, "Some unit grains did not take their points; {Units} units in the round", calls.Count);
            }
        }
    }
}
