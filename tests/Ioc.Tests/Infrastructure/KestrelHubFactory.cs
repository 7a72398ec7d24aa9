using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// The one-command hub on a real Kestrel port on loopback, for browsers and for clients that need real
/// sockets (a screen that stops reading fills real TCP buffers). Log events can be awaited by name.
/// </summary>
public class KestrelHubFactory : HubFactory
{
    public KestrelHubFactory()
    {
        Port = FreePort.Next();
        UseKestrel(Port);
    }

    /// <summary>The loopback port the hub listens on.</summary>
    public int Port { get; }

    /// <summary>Where the hub listens, started on first use.</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            return new Uri($"http://127.0.0.1:{Port}/");
        }
    }

    /// <summary>Log events of the hub, awaitable by event name.</summary>
    public LogSignals Logs { get; } = new();

    protected override ILoggerProvider LogProvider => Logs;

    /// <summary>A SignalR connection to <c>/hubs/live</c> over real WebSockets, signed in as <paramref name="role"/>.</summary>
    public HubConnection ConnectScreen(string role = HubRoles.Operator)
    {
        var token = TokenFor(role);
        return new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/live"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .AddJsonProtocol(o => ServiceDefaultsExtensions.Configure(o.PayloadSerializerOptions))
            .Build();
    }
}

/// <summary>A logger provider that completes a task when an event with a given name is logged.</summary>
public sealed class LogSignals : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _waiting = new(StringComparer.Ordinal);

    /// <summary>Completes with the message of the next event named <paramref name="eventName"/>.</summary>
    public Task<string> Next(string eventName) =>
        _waiting.GetOrAdd(eventName, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private void Write(EventId id, string message)
    {
        if (id.Name is { } name && _waiting.TryRemove(name, out var waiter))
            waiter.TrySetResult(message);
    }

    private sealed class Logger(LogSignals owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name is not null) owner.Write(eventId, formatter(state, exception));
        }
    }
}
