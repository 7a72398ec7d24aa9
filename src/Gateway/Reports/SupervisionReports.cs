using System.Collections.Concurrent;
using Ioc.Contracts;
using Ioc.Contracts.Supervision;
using Ioc.Gateway.Api;
using Ioc.Gateway.History;
using Ioc.TimeSeries;

namespace Ioc.Gateway.Reports;

/// <summary>
/// Reads what a supervision report needs (each unit's daily values of each indicator from the history
/// store, the targets in force, the alerts kept) and hands it to <see cref="SupervisionReportBuilder"/>.
/// </summary>
public sealed class SupervisionReports(Catalog catalog, HistorySource history, IGrainFactory grains, TimeProvider time, ILogger<SupervisionReports> logger)
{
    /// <summary>How many history queries run at once: enough to overlap a remote store's round trips, few enough not to crowd it.</summary>
    private const int QueriesInFlight = 4;

    /// <summary>What every report says about its sources.</summary>
    public static readonly string[] Notes =
    [
        "Giá trị của kỳ là số liệu cuối cùng mỗi đơn vị báo cáo trong kỳ, đọc từ kho dữ liệu lịch sử; tổng hợp theo cách tính của từng chỉ tiêu.",
        "Chỉ tiêu áp dụng là chỉ tiêu đang có hiệu lực khi lập báo cáo; lịch sử thay đổi chỉ tiêu xem tại nhật ký chỉ tiêu.",
        "Cảnh báo lấy từ danh sách mỗi đơn vị đang lưu (cảnh báo đang mở và các cảnh báo đã kết thúc gần nhất); cảnh báo cũ đã bị loại khỏi danh sách sẽ không có trong báo cáo.",
        "Báo cáo định kỳ bị thiếu chỉ tính các ngày, tháng đã kết thúc; ngày, tháng đang diễn ra chưa tính là thiếu.",
    ];

    /// <summary>Computes the report for <paramref name="scope"/> over <paramref name="period"/>.</summary>
    /// <exception cref="HistoryUnavailableException">The time-series store could not answer.</exception>
    public async Task<SupervisionReport> Build(CatalogEntity scope, SupervisionPeriod period, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var from = SupervisionReportBuilder.HistoryFrom(period);
        var series = new ConcurrentDictionary<(string Unit, string Metric), IReadOnlyList<DatedValue>>();
        try
        {
            await Parallel.ForEachAsync(
                SupervisionReportBuilder.SeriesNeeded(catalog, scope),
                new ParallelOptions { MaxDegreeOfParallelism = QueriesInFlight, CancellationToken = cancellationToken },
                async (key, token) =>
                {
                    // Days start at Vietnam midnight because 'from' does and a day is a whole number of seconds.
                    var query = new HistoryQuery(key.Metric, [key.Unit], from, period.End, TimeSpan.FromDays(1), HistoryAggregate.Last);
                    var points = await history.Query(query, token);
                    series[key] = [.. points.Select(p => new DatedValue(p.Ts.ToOffset(ReportingPeriod.VietnamOffset), p.Value))];
                });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Supervision report for {Scope} over {Period} could not read history", scope.Id, period.ToString());
            throw new HistoryUnavailableException(ex.Message, ex);
        }

        var overrides = (await grains.GetGrain<ITargetsGrain>(0).GetOverrides()).ToDictionary(o => (o.Entity, o.Metric));
        Target? TargetAt(string entity, string metric) => TargetResolution.Resolve(catalog, overrides, entity, metric).Target;

        // From the scope's alert indexes, as the alert list reads them: no unit's grain is asked.
        var alerts = await grains.AlertsUnder(catalog, scope);
        return SupervisionReportBuilder.Build(catalog, scope, period, now, series, TargetAt, alerts, Notes);
    }
}

/// <summary>The time-series store could not answer a report's queries.</summary>
public sealed class HistoryUnavailableException(string message, Exception inner) : Exception(message, inner);
