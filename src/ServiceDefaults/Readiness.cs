using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Ioc.ServiceDefaults;

/// <summary>
/// The conditions a process waits for before it takes traffic: the catalog is loaded, the silo is up
/// or the cluster is reachable. Each host declares its own and marks them met as start-up proceeds.
/// </summary>
public sealed class Readiness
{
    private readonly ConcurrentDictionary<string, bool> _conditions = new(StringComparer.Ordinal);

    /// <summary>Declares a condition that is not yet met.</summary>
    public void Require(string condition) => _conditions.TryAdd(condition, false);

    /// <summary>Marks a condition as met.</summary>
    public void Met(string condition) => _conditions[condition] = true;

    /// <summary>Whether every declared condition is met.</summary>
    public bool IsReady => _conditions.Values.All(v => v);

    /// <summary>The conditions not yet met.</summary>
    public IEnumerable<string> Pending => _conditions.Where(c => !c.Value).Select(c => c.Key);

    /// <summary>The conditions met, in a stable order.</summary>
    public IEnumerable<string> Done => _conditions.Where(c => c.Value).Select(c => c.Key).Order(StringComparer.Ordinal);
}

/// <summary>Registers the conditions that are met by the time the host starts.</summary>
public static class ReadinessExtensions
{
    /// <summary>
    /// Meets <paramref name="condition"/> when the host starts, after the hosted services registered before this
    /// call have started: for what is done by then, such as a catalog loaded before the host was built.
    /// </summary>
    public static IServiceCollection AddReadinessOnStart(this IServiceCollection services, string condition) =>
        // Not AddHostedService: it registers one service per type, and each condition needs its own.
        services.AddSingleton<IHostedService>(provider => new MetOnStart(provider.GetRequiredService<Readiness>(), condition));

    private sealed class MetOnStart(Readiness readiness, string condition) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            readiness.Met(condition);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal sealed class ReadinessHealthCheck(Readiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.IsReady
            // What the readiness detail says is what was checked, in the words of docs/operations.md.
            ? HealthCheckResult.Healthy(string.Join("; ", readiness.Done))
            : HealthCheckResult.Unhealthy("waiting for: " + string.Join(", ", readiness.Pending)));
}
