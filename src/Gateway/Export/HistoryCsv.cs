using Ioc.Contracts;

namespace Ioc.Gateway.Export;

/// <summary>
/// The CSV layout of a metric's history, for the history endpoint's export: one row per point, each
/// naming its entity and metric so that exports can be combined.
/// </summary>
public static class HistoryCsv
{
    /// <summary>The header row.</summary>
    public static readonly string[] Header = ["entity", "entityName", "metric", "metricName", "unitOfMeasure", "time", "value"];

    /// <summary>Writes the header and one row per point to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(
        Stream stream, CatalogEntity entity, MetricDefinition metric, IAsyncEnumerable<(DateTimeOffset Time, double Value)> points,
        CancellationToken cancellationToken = default)
    {
        await using var csv = new CsvWriter(stream);
        await csv.WriteRowAsync(Header);
        await foreach (var (time, value) in points.WithCancellation(cancellationToken))
            await csv.WriteRowAsync(entity.Id, entity.Name, metric.Id, metric.Name, metric.UnitOfMeasure, CsvWriter.Time(time), CsvWriter.Number(value));
    }

    /// <summary>A download name such as <c>van-lam-air-1-pm25-history.csv</c>.</summary>
    public static string FileName(string entity, string metric) => $"{entity}-{metric}-history.csv";
}
