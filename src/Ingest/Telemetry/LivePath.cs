using System.Collections.Immutable;
using System.Threading.Channels;
using Ioc.Contracts;
using Ioc.TimeSeries;
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
        // Per unit, its grain reference and its points for the next round, kept across rounds: the catalog's
        // units are a fixed set, so a round makes no grain id, reference or builder for a unit seen before.
        var units = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var round = new List<Pending>();
        var calls = new List<Task>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            var points = 0;
            var roundPoints = options.Value.LivePathRoundPoints;
            while (points < roundPoints && reader.TryRead(out var batch))
            {
                foreach (var p in batch)
                {
                    if (!units.TryGetValue(p.Unit, out var pending))
                        units[p.Unit] = pending = new Pending(grains.GetGrain<IUnitGrain>(p.Unit));
                    if (pending.Points.Count == 0)
                        round.Add(pending);
                    pending.Points.Add(new MetricPoint(p.Metric, p.Value, p.Timestamp));
                }
                points += batch.Count;
            }
            foreach (var pending in round)
                calls.Add(pending.Grain.Report(pending.Points.DrainToImmutable()));
            metrics.LiveRound(calls.Count, points);
            round.Clear();
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception ex)
            {
                // The points are kept by the time-series path; the live view catches up on the next report.
                logger.LogWarning(ex, "Some unit grains did not take their points; {Units} units in the round", calls.Count);
            }
            calls.Clear();
        }
    }

    private sealed class Pending(IUnitGrain grain)
    {
        public IUnitGrain Grain { get; } = grain;
        public ImmutableArray<MetricPoint>.Builder Points { get; } = ImmutableArray.CreateBuilder<MetricPoint>();
    }
}
