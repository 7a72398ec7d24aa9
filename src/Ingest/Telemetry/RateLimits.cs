using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// A token bucket of points: it holds at most <c>capacity</c> and refills at <c>perSecond</c>. A request
/// takes as many as it has points, or none.
/// </summary>
public sealed class TokenBucket(double capacity, double perSecond, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly double _capacity = capacity;
    private double _available = capacity;
    private long _stamp = time.GetTimestamp();

    /// <summary>Takes <paramref name="points"/>, or tells how long until that many are there.</summary>
    public bool TryTake(double points, out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill();
            if (_available >= points)
            {
                _available -= points;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((Math.Min(points, _capacity) - _available) / perSecond);
            return false;
        }
    }

    /// <summary>Whether not even one point is left, and how long until there is.</summary>
    public bool IsEmpty(out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill();
            retryAfter = _available >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _available) / perSecond);
            return _available < 1;
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        _available = Math.Min(_capacity, _available + time.GetElapsedTime(_stamp, now).TotalSeconds * perSecond);
        _stamp = now;
    }
}

/// <summary>One <see cref="TokenBucket"/> per unit token, from <see cref="IngestOptions.RateLimit"/>.</summary>
public sealed class RateLimits(IOptions<IngestOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);

    private TokenBucket? For(string token)
    {
        var o = options.Value.RateLimit;
        return o.PointsPerSecond <= 0 ? null : _buckets.GetOrAdd(token, static (_, s) => new TokenBucket(s.o.Burst, s.o.PointsPerSecond, s.time), (o, time));
    }

    /// <summary>Whether <paramref name="token"/> has nothing left at all; checked before the body is read.</summary>
    public bool IsExhausted(string token, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return For(token) is { } bucket && bucket.IsEmpty(out retryAfter);
    }

    /// <summary>Charges <paramref name="points"/> to <paramref name="token"/>, or tells how long to wait.</summary>
    public bool TryTake(string token, int points, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return For(token) is not { } bucket || bucket.TryTake(points, out retryAfter);
    }
}
