using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Time.Testing;
using static Ioc.Tests.Ingest.IngestHttp;

namespace Ioc.Tests.Ingest;

/// <summary>Each token has its own bucket of points; an empty bucket is 429 with Retry-After.</summary>
public sealed class RateLimitTests(RateLimitedHubFactory hub) : IClassFixture<RateLimitedHubFactory>
{
    [Fact]
    public async Task A_token_over_its_rate_gets_429_with_Retry_After_while_another_token_still_writes()
    {
        var (_, greedy) = await hub.CreateToken("greedy", "van-lam");
        var (_, modest) = await hub.CreateToken("modest", "van-lam");
        var ten = string.Join('\n', Enumerable.Range(0, 5).Select(_ => "traffic,unit=van-lam-traffic-1 vehicle-count=1i,avg-speed=30"));
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient(greedy).WriteLines(ten)).StatusCode);

        var refused = await hub.CreateUnitClient(greedy).WriteLines("air,unit=van-lam-air-1 pm25=1");
        Assert.Contains("'greedy' is over its rate limit", await refused.InfluxError(HttpStatusCode.TooManyRequests, "too many requests"));
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single()) >= 1);

        var json = await hub.CreateUnitClient(greedy).PostAsJsonAsync("/api/v1/telemetry", new { points = new[] { new { unit = "van-lam-air-1", metric = "pm25", value = 1 } } }, Cancel);
        Assert.Equal(HttpStatusCode.TooManyRequests, json.StatusCode);
        Assert.True(json.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient(modest).WriteLines("air,unit=van-lam-air-1 pm25=1")).StatusCode);
    }

    [Fact]
    public async Task A_request_bigger_than_what_is_left_is_429_and_charges_nothing()
    {
        var (_, token) = await hub.CreateToken("partial", "van-lam");
        var six = string.Join('\n', Enumerable.Range(0, 3).Select(_ => "traffic,unit=van-lam-traffic-1 vehicle-count=1i,avg-speed=30"));
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient(token).WriteLines(six)).StatusCode);
        await (await hub.CreateUnitClient(token).WriteLines(six)).InfluxError(HttpStatusCode.TooManyRequests, "too many requests");
        // The refused six were not charged: four are still there.
        var four = string.Join('\n', Enumerable.Range(0, 2).Select(_ => "traffic,unit=van-lam-traffic-1 vehicle-count=1i,avg-speed=30"));
        Assert.Equal(HttpStatusCode.NoContent, (await hub.CreateUnitClient(token).WriteLines(four)).StatusCode);
    }

    [Fact]
    public void A_bucket_refills_at_its_rate_up_to_its_burst()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(100, 10, time);
        Assert.True(bucket.TryTake(100, out _));
        Assert.False(bucket.TryTake(30, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(3), wait);
        Assert.True(bucket.IsEmpty(out var untilOne));
        Assert.Equal(TimeSpan.FromSeconds(0.1), untilOne);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(bucket.TryTake(30, out _));
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(bucket.TryTake(100, out _));
        Assert.False(bucket.TryTake(1, out _));
    }
}
