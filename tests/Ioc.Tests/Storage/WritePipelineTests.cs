using System.Threading.Channels;
using InfluxDB.Client.Core.Exceptions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using Polly.Testing;
using Polly.Timeout;

namespace Ioc.Tests.Storage;

public sealed class WritePipelineTests
{
    private static readonly TimeSeriesOptions Options = new()
    {
        MaxRetryAttempts = 3,
        RetryBaseDelay = TimeSpan.FromSeconds(2),
        RetryMaxDelay = TimeSpan.FromSeconds(20),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        BreakFailureRatio = 0.5,
        BreakMinimumThroughput = 4,
        BreakSamplingDuration = TimeSpan.FromSeconds(30),
        BreakDuration = TimeSpan.FromSeconds(15),
    };

    [Fact]
    public void Each_write_goes_through_retry_then_circuit_breaker_then_a_timeout_per_attempt()
    {
        var pipeline = new ResiliencePipelineBuilder().AddTimeSeriesWrite(Options, new CircuitBreakerStateProvider()).Build();
        var strategies = pipeline.GetPipelineDescriptor().Strategies;

        Assert.Collection(strategies,
            retry =>
            {
                var o = Assert.IsType<RetryStrategyOptions>(retry.Options);
                Assert.Equal(3, o.MaxRetryAttempts);
                Assert.Equal(DelayBackoffType.Exponential, o.BackoffType);
                Assert.True(o.UseJitter);
                Assert.Equal(TimeSpan.FromSeconds(2), o.Delay);
                Assert.Equal(TimeSpan.FromSeconds(20), o.MaxDelay);
            },
            breaker =>
            {
                var o = Assert.IsType<CircuitBreakerStrategyOptions>(breaker.Options);
                Assert.Equal(0.5, o.FailureRatio);
                Assert.Equal(4, o.MinimumThroughput);
                Assert.Equal(TimeSpan.FromSeconds(15), o.BreakDuration);
            },
            timeout => Assert.Equal(TimeSpan.FromSeconds(10), Assert.IsType<TimeoutStrategyOptions>(timeout.Options).Timeout));
    }

    [Fact]
    public async Task Retries_wait_as_long_as_the_servers_Retry_After_asks_and_otherwise_back_off()
    {
        var pipeline = new ResiliencePipelineBuilder().AddTimeSeriesWrite(Options, new CircuitBreakerStateProvider()).Build();
        var retry = Assert.IsType<RetryStrategyOptions>(pipeline.GetPipelineDescriptor().Strategies[0].Options);

        async Task<TimeSpan?> DelayAfter(Exception error)
        {
            var context = ResilienceContextPool.Shared.Get(Cancel);
            try
            {
                return await retry.DelayGenerator!(new RetryDelayGeneratorArguments<object>(context, Outcome.FromException<object>(error), 0));
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        Assert.Equal(TimeSpan.FromSeconds(7), await DelayAfter(new TooManyRequestsException("slow down") { RetryAfter = 7 }));
        Assert.Equal(TimeSpan.FromSeconds(20), await DelayAfter(new ServiceUnavailableException("later") { RetryAfter = 3600 }));
        Assert.Null(await DelayAfter(new ServiceUnavailableException("later")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8428", null, false)]
    [InlineData("http://localhost:8428", null, false)]
    [InlineData("http://[::1]:8428", null, false)]
    [InlineData("http://victoria-metrics:8428", null, true)]
    [InlineData("https://influx.example.vn", null, true)]
    [InlineData("http://127.0.0.1:8428", true, true)]
    [InlineData("http://victoria-metrics:8428", false, false)]
    public void Writes_are_gzipped_unless_the_server_is_on_this_machine_or_the_setting_says_otherwise(string url, bool? gzip, bool expected) =>
        Assert.Equal(expected, new TimeSeriesOptions { Server = TimeSeriesServer.VictoriaMetrics, Url = url, Gzip = gzip }.GzipWrites);

    [Theory]
    [InlineData(0, true, false)]
    [InlineData(408, true, false)]
    [InlineData(429, true, false)]
    [InlineData(500, true, false)]
    [InlineData(503, true, false)]
    [InlineData(400, false, true)]
    [InlineData(401, false, true)]
    [InlineData(404, false, true)]
    [InlineData(413, false, true)]
    public void Only_no_answer_408_429_and_5xx_are_retried_and_any_other_4xx_is_a_rejection(int status, bool transient, bool rejection)
    {
        var error = new HttpException("answer", status);
        Assert.Equal(transient, WritePipeline.IsTransient(error));
        Assert.Equal(rejection, WritePipeline.IsRejection(error));
    }

    [Fact]
    public async Task A_rejected_write_is_tried_once_and_does_not_trip_the_breaker()
    {
        var breaker = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder().AddTimeSeriesWrite(Options, breaker).Build();
        var attempts = 0;
        for (var i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<BadRequestException>(() => pipeline.ExecuteAsync(_ =>
            {
                attempts++;
                throw new BadRequestException("unable to parse line 1");
            }, Cancel).AsTask());
        }
        Assert.Equal(10, attempts);
        Assert.Equal(CircuitState.Closed, breaker.CircuitState);
    }

    [Fact]
    public async Task Injected_faults_open_the_breaker_and_it_closes_again_once_the_store_recovers()
    {
        var time = new FakeTimeProvider();
        var options = new TimeSeriesOptions { MaxRetryAttempts = 1, RetryBaseDelay = TimeSpan.Zero, BreakMinimumThroughput = 4, BreakDuration = TimeSpan.FromSeconds(15) };
        var breaker = new CircuitBreakerStateProvider();
        var storeDown = true;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeSeriesWrite(options, breaker)
            .AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRate = 1,
                EnabledGenerator = _ => ValueTask.FromResult(storeDown),
                FaultGenerator = _ => ValueTask.FromResult<Exception?>(new ServiceUnavailableException("chaos: store down")),
            })
            .Build();
        var writes = 0;
        ValueTask Write(CancellationToken _)
        {
            writes++;
            return ValueTask.CompletedTask;
        }

        // Two executions of two attempts each reach the minimum throughput, all failed.
        await Assert.ThrowsAsync<ServiceUnavailableException>(() => pipeline.ExecuteAsync(Write, Cancel).AsTask());
        await Assert.ThrowsAsync<ServiceUnavailableException>(() => pipeline.ExecuteAsync(Write, Cancel).AsTask());
        Assert.Equal(CircuitState.Open, breaker.CircuitState);
        var broken = await Assert.ThrowsAsync<BrokenCircuitException>(() => pipeline.ExecuteAsync(Write, Cancel).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(15), broken.RetryAfter);

        storeDown = false;
        await Assert.ThrowsAsync<BrokenCircuitException>(() => pipeline.ExecuteAsync(Write, Cancel).AsTask());
        Assert.Equal(0, writes);

        time.Advance(options.BreakDuration);
        await pipeline.ExecuteAsync(Write, Cancel);
        Assert.Equal(1, writes);
        Assert.Equal(CircuitState.Closed, breaker.CircuitState);
    }

    [Fact]
    public async Task Injected_latency_beyond_the_attempt_timeout_times_attempts_out_and_opens_the_breaker_until_the_store_is_fast_again()
    {
        var time = new FakeTimeProvider();
        var options = new TimeSeriesOptions
        {
            MaxRetryAttempts = 1, RetryBaseDelay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromSeconds(10),
            BreakMinimumThroughput = 4, BreakSamplingDuration = TimeSpan.FromMinutes(5), BreakDuration = TimeSpan.FromSeconds(15),
        };
        var breaker = new CircuitBreakerStateProvider();
        var slow = true;
        var delayed = Channel.CreateUnbounded<bool>();
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeSeriesWrite(options, breaker)
            .AddChaosLatency(new ChaosLatencyStrategyOptions
            {
                InjectionRate = 1,
                Latency = TimeSpan.FromMinutes(5),
                // Asked just before the latency is injected, inside the attempt's timeout: the signal to move the clock.
                EnabledGenerator = _ =>
                {
                    if (slow) delayed.Writer.TryWrite(true);
                    return ValueTask.FromResult(slow);
                },
            })
            .Build();

        // Each attempt is held by the injected latency; moving the clock past the attempt timeout ends it.
        async Task<Exception> SlowWrite()
        {
            var write = pipeline.ExecuteAsync(_ => ValueTask.CompletedTask, Cancel).AsTask();
            while (true)
            {
                // Waiting does not take the signal, so one left waiting when the write ends loses none.
                var next = delayed.Reader.WaitToReadAsync(Cancel).AsTask();
                if (await Task.WhenAny(write, next) == write)
                    return await Assert.ThrowsAnyAsync<Exception>(() => write);
                Assert.True(delayed.Reader.TryRead(out _));
                time.Advance(options.AttemptTimeout);
            }
        }

        Assert.IsType<TimeoutRejectedException>(await SlowWrite());
        Assert.IsType<TimeoutRejectedException>(await SlowWrite());
        Assert.Equal(CircuitState.Open, breaker.CircuitState);
        Assert.IsType<BrokenCircuitException>(await SlowWrite());

        slow = false;
        time.Advance(options.BreakDuration);
        await pipeline.ExecuteAsync(_ => ValueTask.CompletedTask, Cancel);
        Assert.Equal(CircuitState.Closed, breaker.CircuitState);
    }
}
