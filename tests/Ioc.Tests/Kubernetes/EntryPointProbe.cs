using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Ioc.Tests.Kubernetes;

/// <summary>
/// Runs a host's real entry point (<c>Program.Main</c> with its <c>Add…</c>/<c>Map…</c> calls) as far as a
/// container would before it talks to anything: configuration is built, every option validated on start, the
/// request pipeline and its endpoints built. Nothing is opened: the host's hosted services (Orleans, the buffer
/// drainer, …) are removed and its server is one that listens on nothing, inspects the running host and stops it.
/// </summary>
/// <remarks>
/// The host is reached through the <c>Microsoft.Extensions.Hosting</c> diagnostic events, as
/// <c>WebApplicationFactory</c> does. Only events raised on the probe's own async flow are acted on, so probes and
/// factories in tests running at the same time never see each other's hosts.
/// </remarks>
public static class EntryPointProbe
{
    private static readonly AsyncLocal<object?> Owner = new();

    /// <summary>
    /// Runs <paramref name="entryPoint"/>'s assembly entry point with <paramref name="args"/> and returns what
    /// <paramref name="inspect"/> finds in the started host. A start-up failure (a bad or unknown setting)
    /// is thrown as it would stop the process.
    /// </summary>
    public static Task<T> Run<T>(Assembly entryPoint, string[] args, Func<IServiceProvider, T> inspect) => Task.Run(() =>
    {
        var probe = new Probe<T>(inspect);
        Owner.Value = probe;
        using (DiagnosticListener.AllListeners.Subscribe(probe))
        {
            try
            {
                entryPoint.EntryPoint!.Invoke(null, [args]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                probe.Dispose();
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            }
        }
        probe.Dispose();
        return probe.Found ? probe.Result! : throw new InvalidOperationException($"{entryPoint.GetName().Name} returned without starting a host.");
    });

    private sealed class Probe<T>(Func<IServiceProvider, T> inspect) : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly List<IDisposable> _subscriptions = [];

        public T? Result { get; private set; }

        public bool Found { get; private set; }

        public void OnNext(DiagnosticListener listener)
        {
            if (ReferenceEquals(Owner.Value, this) && listener.Name == "Microsoft.Extensions.Hosting")
                lock (_subscriptions) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (!ReferenceEquals(Owner.Value, this) || value.Key != "HostBuilding" || value.Value is not IHostBuilder builder) return;
            builder.ConfigureServices((_, services) =>
            {
                // Keep only the web host itself: it validates options, builds the pipeline and starts the server.
                for (var i = services.Count - 1; i >= 0; i--)
                {
                    if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.Name != "GenericWebHostService")
                        services.RemoveAt(i);
                }
                services.RemoveAll<IServer>();
                services.AddSingleton<IServer>(sp => new InspectingServer(sp, this));
            });
        }

        public void Inspected(IServiceProvider services)
        {
            Result = inspect(services);
            Found = true;
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }

        public void Dispose()
        {
            lock (_subscriptions)
            {
                foreach (var s in _subscriptions) s.Dispose();
                _subscriptions.Clear();
            }
        }

        // Started by the web host once the pipeline (and with it the endpoints) is built.
        private sealed class InspectingServer(IServiceProvider services, Probe<T> probe) : IServer
        {
            public IFeatureCollection Features { get; } = new FeatureCollection();

            public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull
            {
                try
                {
                    probe.Inspected(services);
                }
                finally
                {
                    services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
                }
                return Task.CompletedTask;
            }

            public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

            public void Dispose() { }
        }
    }
}
