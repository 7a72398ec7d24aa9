using System.ComponentModel.DataAnnotations;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Ioc.TimeSeries;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Simulation;

/// <summary>Settings of the built-in simulator (section <c>Simulator</c>).</summary>
public sealed class SimulatorOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Simulator";

    /// <summary>Whether the simulator runs. On in Development, off elsewhere.</summary>
    public bool Enabled { get; set; }

    /// <summary>How often every sensor reports.</summary>
    [TimeSpanRange("00:00:00.010", "01:00:00")] public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Feeds plausible telemetry for every unit in the catalog, through the same validation and ingest
/// path as a real push, so that a fresh hub's wall is alive. Values follow the time of day: traffic
/// peaks at rush hour, PM2.5 in the evening; a few localities sit below their digital-transformation
/// targets so that low achievement has something to show.
/// </summary>
public sealed class Simulator(
    Catalog catalog, TelemetryIngestor ingestor, IOptions<SimulatorOptions> options, TimeProvider time, ILogger<Simulator> logger)
    : BackgroundService
{
    private readonly Random _random = new(20240425);
    private readonly Dictionary<(string Unit, string Metric), double> _walk = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Simulator feeding {Units} units every {Period}", catalog.Entities.Count(e => e.Kind == EntityKind.Unit), options.Value.Period);
        using var timer = new PeriodicTimer(options.Value.Period, time);
        var tick = 0L;
        do
        {
            try
            {
                await ingestor.Accept(Tick(tick++), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Simulator tick failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private List<TelemetryPoint> Tick(long tick)
    {
        var now = time.GetUtcNow();
        var hour = now.ToOffset(TimeSpan.FromHours(7)).TimeOfDay.TotalHours;
        var points = new List<TelemetryPoint>();
        foreach (var unit in catalog.Entities)
        {
            if (unit.Kind != EntityKind.Unit) continue;
            foreach (var metricId in unit.Metrics)
            {
                var metric = catalog.Metric(metricId);
                // Indicators change slowly: report them on the first tick and then about once a minute.
                if (metric.Indicator && tick % Math.Max(1, (long)(60 / options.Value.Period.TotalSeconds)) != 0)
                    continue;
                points.Add(new TelemetryPoint(unit.Id, metricId, Math.Round(Value(unit, metric, hour), 2), now));
            }
        }
        return points;
    }

    private double Value(CatalogEntity unit, MetricDefinition metric, double hour)
    {
        // A stable per-unit bias, so localities differ from each other in a repeatable way.
        var bias = (StableHash(unit.Locality ?? unit.Id) % 1000) / 1000.0;
        double Noise(double amplitude) => (_random.NextDouble() - 0.5) * 2 * amplitude;
        double Rush() => Math.Exp(-Math.Pow(hour - 7.5, 2) / 2) + Math.Exp(-Math.Pow(hour - 17.5, 2) / 2);
        return metric.Id switch
        {
            "vehicle-count" => Math.Max(0, 40 + 160 * Rush() * (0.6 + bias) + Noise(15)),
            "avg-speed" => Math.Clamp(45 - 22 * Rush() + Noise(4), 5, 70),
            "pm25" => Math.Max(3, 22 + 35 * bias + 18 * Math.Exp(-Math.Pow(hour - 20, 2) / 6) + Noise(6)),
            "aqi" => Math.Max(10, 45 + 70 * bias + 25 * Math.Exp(-Math.Pow(hour - 20, 2) / 6) + Noise(8)),
            "water-level" => Walk(unit.Id, metric.Id, 1.4 + 1.8 * bias, 0.03, 0.2, 5),
            "camera-online-ratio" => Math.Clamp(99 - 12 * Math.Max(0, bias - 0.75) * 4 + Noise(1.5), 50, 100),
            "queue-length" => hour is > 7.5 and < 17 ? Math.Max(0, Math.Round(6 + 14 * bias + Noise(5))) : 0,
            "it-officials" => bias < 0.2 ? 0 : 1 + Math.Floor(bias * 3),
            "dt-budget-share" => Math.Round(0.55 + 1.1 * bias, 2),
            "online-dossier-share" => Walk(unit.Id, metric.Id, 38 + 40 * bias, 0.2, 20, 100),
            "online-payment-share" => Walk(unit.Id, metric.Id, 30 + 45 * bias, 0.2, 10, 100),
            "digitised-dossier-share" => Walk(unit.Id, metric.Id, 65 + 30 * bias, 0.2, 40, 100),
            "village-tech-team-share" => Math.Min(100, 85 + Math.Round(20 * bias)),
            "eid-level2-share" => Walk(unit.Id, metric.Id, 55 + 35 * bias, 0.1, 30, 100),
            _ => metric.Target?.Value ?? 1,
        };
    }

    private double Walk(string unit, string metric, double start, double step, double min, double max)
    {
        var key = (unit, metric);
        var v = _walk.TryGetValue(key, out var current) ? current : start;
        v = Math.Clamp(v + (_random.NextDouble() - 0.5) * 2 * step, min, max);
        _walk[key] = v;
        return v;
    }

    private static uint StableHash(string s)
    {
        var h = 2166136261u;
        foreach (var c in s) h = (h ^ c) * 16777619u;
        return h;
    }
}
