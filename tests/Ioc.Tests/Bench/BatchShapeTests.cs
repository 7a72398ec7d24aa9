using Ioc.LoadGen;

namespace Ioc.Tests.Bench;

public sealed class BatchShapeTests
{
    private static SeriesSpace Space(int units, int metrics) => SeriesSpace.From(
        Enumerable.Range(1, units).Select(u => ($"bench-{u:D5}", "van-lam", (IReadOnlyList<string>)[.. Enumerable.Range(1, metrics).Select(m => $"m{m}")], "locality=van-lam")),
        units, metrics);

    [Fact]
    public void A_spread_request_takes_every_point_from_a_different_unit_and_a_spread_walk_still_visits_every_series_once_per_round()
    {
        var space = Space(units: 50, metrics: 4);
        var request = Enumerable.Range(0, 50).Select(k => space[space.Spread(100 + k)].Unit.Id).ToList();
        Assert.Equal(request.Count, request.Distinct().Count());

        var round = Enumerable.Range(0, space.Count).Select(k => space.Spread(k)).ToList();
        Assert.Equal(Enumerable.Range(0, space.Count), round.Order());
    }
}
