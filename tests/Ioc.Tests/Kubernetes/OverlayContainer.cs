using System.Reflection;
using System.Text.RegularExpressions;
using k8s.Models;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ioc.Tests.Kubernetes;

/// <summary>
/// A container of a rendered overlay: the host its image runs and the environment Kubernetes gives it (its
/// ConfigMaps and Secrets through <c>envFrom</c>, then its own <c>env</c>, with <c>$(VAR)</c> references and
/// downward-API fields filled in as the kubelet would).
/// </summary>
public sealed partial record OverlayContainer(string Owner, string Host, V1Container Spec, IReadOnlyDictionary<string, string> Environment, IReadOnlySet<string> Referenced)
{
    /// <summary>Settings read by the framework or the OpenTelemetry SDK rather than by one of the hub's sections.</summary>
    private static readonly HashSet<string> FrameworkKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Urls", "ConnectionStrings:Orleans",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
    };

    /// <summary>Every container of the rendered <paramref name="objects"/>.</summary>
    public static IEnumerable<OverlayContainer> All(IReadOnlyList<object> objects)
    {
        var configMaps = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name, c => c.Data ?? new Dictionary<string, string>());
        var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name, s =>
            (s.StringData ?? new Dictionary<string, string>())
            .Concat((s.Data ?? new Dictionary<string, byte[]>()).Select(d => KeyValuePair.Create(d.Key, Encoding.UTF8.GetString(d.Value))))
            .ToDictionary());
        foreach (var (owner, pod, template) in ManifestTests.PodSpecs(objects))
        {
            foreach (var c in pod.Containers)
            {
                var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                var referenced = new HashSet<string>(StringComparer.Ordinal);
                foreach (var from in c.EnvFrom ?? [])
                {
                    var source = from.ConfigMapRef is { } map ? configMaps[map.Name] : secrets[from.SecretRef.Name];
                    foreach (var (key, value) in source) environment[(from.Prefix ?? "") + key] = value;
                }
                foreach (var e in c.Env ?? [])
                {
                    environment[e.Name] = e.Value is { } value
                        ? Reference().Replace(value, m =>
                        {
                            referenced.Add(m.Groups[1].Value);
                            return environment.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value;
                        })
                        : e.ValueFrom?.FieldRef?.FieldPath switch
                        {
                            "status.podIP" => "10.42.0.17",
                            "metadata.name" => $"{template.Name ?? owner.Split('/')[1]}-7f9c6d-x2k4q",
                            "metadata.namespace" => "ioc-hub",
                            var other => throw new InvalidOperationException($"{owner}: no stand-in for {other ?? "a value that is not a pod field"} in {e.Name}"),
                        };
                }
                yield return new OverlayContainer(owner, c.Image.Split(':')[0].Split('/')[^1], c, environment, referenced);
            }
        }
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_.]*)\)")]
    private static partial Regex Reference();

    /// <summary>The assembly whose entry point runs in this container's image.</summary>
    public Assembly EntryPoint => Host switch
    {
        "silo" => typeof(Program).Assembly,
        "gateway" => typeof(Ioc.Gateway.Program).Assembly,
        "ingest" => typeof(Ioc.Ingest.Program).Assembly,
        _ => throw new InvalidOperationException($"{Owner}: no host for image {Spec.Image}"),
    };

    /// <summary>
    /// Runs this container's host with exactly its environment (as command-line settings, which rank like
    /// environment variables above appsettings) in the Production environment, and inspects it.
    /// </summary>
    public async Task<Started> Start(IReadOnlyDictionary<string, string>? extra = null)
    {
        // The image's folder: the silo's carries its appsettings.json, the others none.
        var contentRoot = Directory.CreateTempSubdirectory($"ioc-{Host}-root-").FullName;
        try
        {
            if (Host == "silo")
                File.Copy(Path.Combine(Repository.Root, "src", "Silo", "appsettings.json"), Path.Combine(contentRoot, "appsettings.json"));
            var environment = new Dictionary<string, string>(Environment);
            foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;
            string[] args =
            [
                "--environment=Production", $"--contentRoot={contentRoot}",
                .. environment.Select(e => $"--{e.Key.Replace("__", ":", StringComparison.Ordinal)}={e.Value}"),
            ];
            return await EntryPointProbe.Run(EntryPoint, args, Inspect).WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    /// <summary>What a started host showed.</summary>
    /// <param name="Sections">The configuration sections it binds strictly.</param>
    /// <param name="Routes">The route patterns it maps.</param>
    /// <param name="DataDirectory">Its resolved <c>Storage:DataDirectory</c>.</param>
    /// <param name="Chatty">Log categories that would write per request or per call at Information.</param>
    public sealed record Started(IReadOnlyList<string> Sections, IReadOnlyList<string> Routes, string DataDirectory, IReadOnlyList<string> Chatty);

    private static Started Inspect(IServiceProvider services)
    {
        var sections = services.GetServices<HubSection>().ToList();
        // Each section binds (strictly) when its options are first read; most are read on start already.
        foreach (var section in sections)
        {
            var options = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(section.OptionsType));
            try
            {
                _ = options.GetType().GetProperty("Value")!.GetValue(options);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            }
        }
        var routes = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? "").Distinct().Order().ToList();
        var data = services.GetRequiredService<IOptions<StorageOptions>>().Value.ResolveDataDirectory(services.GetRequiredService<IHostEnvironment>());
        var loggers = services.GetRequiredService<ILoggerFactory>();
        string[] perRequest = ["Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Routing.EndpointMiddleware", "System.Net.Http.HttpClient.Default.LogicalHandler", "Polly"];
        var chatty = perRequest.Where(c => loggers.CreateLogger(c).IsEnabled(LogLevel.Information)).ToList();
        return new Started([.. sections.Select(s => s.Path)], routes, data, chatty);
    }

    /// <summary>
    /// Keys of this container's environment that no section of <paramref name="started"/> binds, that the
    /// framework does not read, and that no other variable refers to: settings that would silently do nothing.
    /// </summary>
    public IEnumerable<string> Unbound(Started started) => Environment.Keys.Where(key =>
    {
        var path = key.Replace("__", ":", StringComparison.Ordinal);
        var section = path.Split(':')[0];
        return !(started.Sections.Contains(section, StringComparer.OrdinalIgnoreCase)
            || FrameworkKeys.Contains(path)
            || path.StartsWith("Logging:LogLevel:", StringComparison.OrdinalIgnoreCase)
            || Referenced.Contains(key));
    });
}
