using System.Net.Sockets;
using InfluxDB.Client.Core.Exceptions;
using Microsoft.Data.Sqlite;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Ioc.TimeSeries;

/// <summary>
/// The resilience pipeline around each write to the store: retries with exponential backoff and
/// jitter that honour the server's <c>Retry-After</c> (outermost), a circuit breaker, and a timeout
/// per attempt (innermost). Only transient failures are retried or trip the breaker; a request the
/// server rejects (a 4xx other than 408 and 429) fails at once, for the drainer to set aside.
/// </summary>
public static class WritePipeline
{
    /// <summary>Adds the write strategies to <paramref name="builder"/>, in order.</summary>
    public static ResiliencePipelineBuilder AddTimeSeriesWrite(
        this ResiliencePipelineBuilder builder, TimeSeriesOptions options, CircuitBreakerStateProvider breakerState) => builder
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            DelayGenerator = args => ValueTask.FromResult(ServerDelay(args.Outcome.Exception, options.RetryMaxDelay)),
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            FailureRatio = options.BreakFailureRatio,
            MinimumThroughput = options.BreakMinimumThroughput,
            SamplingDuration = options.BreakSamplingDuration,
            BreakDuration = options.BreakDuration,
            StateProvider = breakerState,
        })
        .AddTimeout(new TimeoutStrategyOptions { Timeout = options.AttemptTimeout });

    /// <summary>The delay a server asked for with <c>Retry-After</c>, capped; null to use the backoff.</summary>
    public static TimeSpan? ServerDelay(Exception? exception, TimeSpan max) =>
        exception is HttpException { RetryAfter: > 0 } http ? TimeSpan.FromSeconds(Math.Min(http.RetryAfter.Value, max.TotalSeconds)) : null;

    /// <summary>
    /// Whether a failed write may succeed if tried again: no answer, a timeout, 408, 429, a 5xx, or an
    /// embedded store that is busy or out of space.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        TimeoutRejectedException => true,
        HttpException http => http.Status is 0 or 408 or 429 or >= 500,
        InfluxException influx => influx.Status == 0,
        HttpRequestException or IOException or SocketException or SqliteException => true,
        OperationCanceledException => true,
        _ => false,
    };

    /// <summary>Whether the server refused the batch itself, so that sending it again cannot help.</summary>
    public static bool IsRejection(Exception exception) =>
        exception is HttpException { Status: >= 400 and < 500 and not 408 and not 429 };
}
