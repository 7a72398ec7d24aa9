using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ioc.Tests.Infrastructure;

/// <summary>Log entries kept in order, from every category, at <paramref name="least"/> and above.</summary>
public sealed class ListLogger(LogLevel least = LogLevel.Information) : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> _entries = new();

    /// <summary>The entries so far.</summary>
    public List<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries => [.. _entries];

    /// <summary>A logger of category <typeparamref name="T"/>.</summary>
    public ILogger<T> For<T>() => new Logger<T>(new LoggerFactory([this]));

    private LogLevel Least => least;

    public ILogger CreateLogger(string categoryName) => new Writer(this, categoryName);

    public void Dispose() { }

    private sealed class Writer(ListLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.Least;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner._entries.Enqueue((category, logLevel, formatter(state, exception), exception));
        }
    }
}
