using System.Collections.Immutable;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Ioc.Tests.Live;

/// <summary>
/// The live path when a unit grain does not answer, as when the silo it lived on has just died: the other units
/// keep receiving their points, and the silent unit's newer points go out in a new call.
/// </summary>
public sealed class UnansweredUnitTests
{
    private const string Silent = "van-lam-air-1";
    private const string Other = "van-lam-water-1";

    [Fact]
    public async Task A_unit_that_does_not_answer_holds_up_no_other_unit_and_gets_its_newer_points_in_a_new_call()
    {
        await using var hub = new HeldUnitHub();
        using var unit = hub.CreateUnitClient();
        async Task Post(double value)
        {
            var response = await unit.PostAsJsonAsync("/api/v1/telemetry", new
            {
                points = new[]
                {
                    new { unit = Silent, metric = "pm25", value, ts = DateTimeOffset.UtcNow },
                    new { unit = Other, metric = "water-level", value, ts = DateTimeOffset.UtcNow },
                },
            }, Cancel);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var (sent, taken) = (hub.Filter.Sent, hub.Filter.Taken);
        try
        {
            await Post(1);
            await sent.First(r => r == (Silent, 1));
            await taken.First(r => r == (Other, 1));

            // The silent unit has not answered its first call; the other unit's next point does not wait for it, and
            // the silent unit's goes out in a call of its own once the live path stops waiting; so twice more.
            for (var value = 2; value <= 4; value++)
            {
                await Post(value);
                await taken.First(r => r == (Other, value));
                await sent.First(r => r == (Silent, value));
            }

            // With three calls given up on and still unanswered, the fourth is waited for to its end, and the next
            // points wait with it: no more calls pile up on a unit that does not answer.
            await Post(5);
            await taken.First(r => r == (Other, 5));
            Assert.DoesNotContain((Silent, 5.0), hub.Filter.SentSoFar);

            hub.Filter.Release.TrySetResult();
            await taken.First(r => r == (Silent, 5));
        }
        finally
        {
            hub.Filter.Release.TrySetResult();
        }
    }

    private sealed class HeldUnitHub : HubFactory
    {
        public HoldReports Filter { get; } = new();

        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Ingest:LiveReportTimeout"] = "00:00:00.200",
            // The held calls must not end by themselves while the test looks.
            ["Cluster:ResponseTimeout"] = "00:05:00",
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<IIncomingGrainCallFilter>(Filter);
                services.AddSingleton<IOutgoingGrainCallFilter>(Filter);
            });
        }
    }

    /// <summary>
    /// Records every point sent to a unit grain and every point a unit grain takes, and holds the silent unit's
    /// calls until released: its activation stays busy with the first, as one on a dead silo never answers.
    /// </summary>
    private sealed class HoldReports : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        private readonly List<(string Unit, double Value)> _sent = [];

        public Signals<(string Unit, double Value)> Sent { get; } = new();

        public Signals<(string Unit, double Value)> Taken { get; } = new();

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<(string Unit, double Value)> SentSoFar
        {
            get { lock (_sent) return [.. _sent]; }
        }

        public async Task Invoke(IOutgoingGrainCallContext call)
        {
            if (Points(call) is { } points)
            {
                lock (_sent) _sent.AddRange(points);
                Sent.Add(points);
            }
            await call.Invoke();
        }

        public async Task Invoke(IIncomingGrainCallContext call)
        {
            if (Points(call) is { } points)
            {
                Taken.Add(points);
                if (points[0].Unit == Silent) await Release.Task;
            }
            await call.Invoke();
        }

        private static List<(string Unit, double Value)>? Points(IGrainCallContext call) =>
            call.InterfaceMethod.DeclaringType == typeof(IUnitGrain) && call.InterfaceMethod.Name == nameof(IUnitGrain.Report)
                ? [.. ((ImmutableArray<MetricPoint>)call.Request.GetArgument(0)!).Select(p => (call.TargetId.Key.ToString()!, p.Value))]
                : null;
    }
}
