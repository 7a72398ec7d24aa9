using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Ioc.ServiceDefaults;

/// <summary>
/// The process's own exhaustible resources: open files against their limit, memory against the GC's limit,
/// and open connections (HTTP, and upgraded ones such as SignalR's WebSockets) against Kestrel's limits, with the
/// connections Kestrel turned away at its limit. Each is in the readiness detail under <c>resources</c> and on the
/// <c>Ioc.Process</c> meter, so that a process running out of one says which before it fails.
/// </summary>
public sealed class ProcessResources : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Ioc.Process";

    /// <summary>Share of a limit past which a resource counts as nearly exhausted.</summary>
    public const double NearlyExhausted = 0.9;

    private readonly MeterListener _listener = new();
    private long _httpConnections;
    private long _hubConnections;
    private long _upgradedConnections;
    private long _rejectedConnections;

    /// <summary>Listens to Kestrel's and SignalR's connection counts, and publishes the gauges.</summary>
    public ProcessResources(IMeterFactory meters, IOptions<KestrelServerOptions> kestrel)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this host's meters (Kestrel and SignalR create theirs from the host's factory): a process that runs
            // several hosts, as the tests do, must not count one host's connections against another's limit.
            if (instrument.Name is "kestrel.active_connections" or "kestrel.upgraded_connections" or "kestrel.rejected_connections"
                or "signalr.server.active_connections" && ReferenceEquals(instrument.Meter.Scope, meters))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, delta, _, _) =>
        {
            switch (instrument.Name)
            {
                case "kestrel.active_connections": Interlocked.Add(ref _httpConnections, delta); break;
                case "kestrel.upgraded_connections": Interlocked.Add(ref _upgradedConnections, delta); break;
                case "kestrel.rejected_connections": Interlocked.Add(ref _rejectedConnections, delta); break;
                default: Interlocked.Add(ref _hubConnections, delta); break;
            }
        });
        _listener.Start();
        var limits = kestrel.Value.Limits;

        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("ioc.process.open_files", () => OpenFiles ?? -1, "{file}", "Open file descriptors; -1 when unknown.");
        meter.CreateObservableGauge("ioc.process.open_files.limit", () => OpenFilesLimit ?? -1, "{file}", "The process's limit on open file descriptors; -1 when unknown.");
        meter.CreateObservableGauge("ioc.process.memory.limit", () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "By",
            "Memory the runtime may use: the container's limit, or the machine's memory.");
        meter.CreateObservableGauge("ioc.process.memory.load", () => GC.GetGCMemoryInfo().MemoryLoadBytes, "By",
            "Memory in use on the machine or in the container at the last garbage collection.");
        meter.CreateObservableGauge("ioc.process.connections", () => HttpConnections, "{connection}", "Connections open on Kestrel.");
        meter.CreateObservableGauge("ioc.process.connections.limit", () => limits.MaxConcurrentConnections ?? -1, "{connection}",
            "Kestrel's limit on open connections (Kestrel:Limits:MaxConcurrentConnections); -1 when none, and then open files are the limit.");
        meter.CreateObservableGauge("ioc.process.upgraded_connections", () => UpgradedConnections, "{connection}",
            "Upgraded connections open on Kestrel: SignalR's WebSockets.");
        meter.CreateObservableGauge("ioc.process.upgraded_connections.limit", () => limits.MaxConcurrentUpgradedConnections ?? -1, "{connection}",
            "Kestrel's limit on upgraded connections (Kestrel:Limits:MaxConcurrentUpgradedConnections); -1 when none.");
        meter.CreateObservableCounter("ioc.process.connections.rejected", () => RejectedConnections, "{connection}",
            "Connections Kestrel closed at once because it was at its connection limit.");
    }

    /// <summary>Open file descriptors (sockets included), or null where <c>/proc</c> is not available.</summary>
    public static long? OpenFiles
    {
        get
        {
            try
            {
                return Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>The soft limit on open file descriptors, or null when unknown.</summary>
    public static long? OpenFilesLimit
    {
        get
        {
            try
            {
                if (!File.Exists("/proc/self/limits")) return null;
                foreach (var line in File.ReadLines("/proc/self/limits"))
                {
                    if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length > 0 && long.TryParse(fields[0], out var limit) ? limit : null;
                }
                return null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>HTTP connections open on Kestrel now.</summary>
    public long HttpConnections => Interlocked.Read(ref _httpConnections);

    /// <summary>SignalR connections open now.</summary>
    public long HubConnections => Interlocked.Read(ref _hubConnections);

    /// <summary>Upgraded connections (WebSockets) open on Kestrel now.</summary>
    public long UpgradedConnections => Interlocked.Read(ref _upgradedConnections);

    /// <summary>Connections Kestrel turned away at its limit since the process started.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejectedConnections);

    /// <inheritdoc/>
    public void Dispose() => _listener.Dispose();
}

/// <summary>Readiness detail of <see cref="ProcessResources"/>: Degraded when one is nearly exhausted, naming it.</summary>
internal sealed class ProcessResourcesHealthCheck(ProcessResources resources, IOptions<KestrelServerOptions> kestrel) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var memory = GC.GetGCMemoryInfo();
        var files = ProcessResources.OpenFiles;
        var filesLimit = ProcessResources.OpenFilesLimit;
        var data = new Dictionary<string, object>
        {
            ["openFiles"] = files ?? -1,
            ["openFilesLimit"] = filesLimit ?? -1,
            ["memoryLoadBytes"] = memory.MemoryLoadBytes,
            ["memoryHighLoadBytes"] = memory.HighMemoryLoadThresholdBytes,
            ["memoryLimitBytes"] = memory.TotalAvailableMemoryBytes,
            ["managedHeapBytes"] = memory.HeapSizeBytes,
            ["httpConnections"] = resources.HttpConnections,
            ["hubConnections"] = resources.HubConnections,
            ["upgradedConnections"] = resources.UpgradedConnections,
            ["httpConnectionsRejected"] = resources.RejectedConnections,
        };
        // -1: no limit of Kestrel's own; open files then bound connections, each a descriptor.
        var connectionLimit = kestrel.Value.Limits.MaxConcurrentConnections;
        var upgradedLimit = kestrel.Value.Limits.MaxConcurrentUpgradedConnections;
        data["httpConnectionsLimit"] = connectionLimit ?? -1;
        data["upgradedConnectionsLimit"] = upgradedLimit ?? -1;
        var exhausted = new List<(string Resource, string Why)>();
        if (files is { } f && filesLimit is { } l && l > 0 && f >= l * ProcessResources.NearlyExhausted)
            exhausted.Add(("files", $"file descriptors ({f} of {l} open)"));
        if (memory.HighMemoryLoadThresholdBytes > 0 && memory.MemoryLoadBytes >= memory.HighMemoryLoadThresholdBytes)
            exhausted.Add(("memory", $"memory ({memory.MemoryLoadBytes} bytes in use, high load from {memory.HighMemoryLoadThresholdBytes})"));
        if (connectionLimit is { } limit && resources.HttpConnections >= limit * ProcessResources.NearlyExhausted)
            exhausted.Add(("connections", $"connections ({resources.HttpConnections} of {limit} open, Kestrel:Limits:MaxConcurrentConnections)"));
        if (upgradedLimit is { } upgraded && resources.UpgradedConnections >= upgraded * ProcessResources.NearlyExhausted)
            exhausted.Add(("upgraded-connections", $"WebSocket connections ({resources.UpgradedConnections} of {upgraded} open, Kestrel:Limits:MaxConcurrentUpgradedConnections)"));
        data["exhausted"] = exhausted.Select(e => e.Resource).ToArray();
        return Task.FromResult(exhausted.Count == 0
            ? HealthCheckResult.Healthy("file descriptors, memory and connections within their limits", data)
            : HealthCheckResult.Degraded("Nearly exhausted: " + string.Join("; ", exhausted.Select(e => e.Why)) + ".", data: data));
    }
}
