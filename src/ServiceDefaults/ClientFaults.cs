using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ioc.ServiceDefaults;

/// <summary>
/// The one defence that turns a client's fault into a 4xx ProblemDetails, whatever endpoint it reached and in
/// every environment: a body that is not JSON or not UTF-8, a body that arrives too slowly or is cut off, a
/// parameter that does not bind. Only a fault of the hub itself is a 500, and only that is logged as an error.
/// </summary>
public static class ClientFaults
{
    /// <summary>
    /// Registers the handler and the ProblemDetails writer. Minimal APIs throw their binding failures
    /// (<see cref="BadHttpRequestException"/>) in every environment, so that the handler answers them with a
    /// body rather than an empty 400 in Production and an exception page in Development.
    /// </summary>
    public static IHostApplicationBuilder AddClientFaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClientFaultHandler>();
        builder.Services.AddSingleton<ClientFaultLog>();
        builder.Services.Configure<HubOptions>(o => o.AddFilter<HubArgumentFilter>());
        // SignalR logs every exception a hub method throws as an error with its stack, a screen's unknown entity id
        // included; the filter logs them instead, telling the client's faults from the hub's.
        builder.Logging.AddFilter(HubArgumentFilter.DispatcherCategory, LogLevel.Critical);
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<ExceptionHandlerOptions>(o =>
            // The handler logs what it handled itself, at warning at most; only the hub's own faults are errors.
            o.SuppressDiagnosticsCallback = c => c.ExceptionHandledBy == ExceptionHandledType.ExceptionHandlerService);
        return builder;
    }

    /// <summary>Puts the exception handler in front of every endpoint.</summary>
    public static WebApplication UseClientFaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        return app;
    }

    /// <summary>
    /// The status and message a client should get for <paramref name="exception"/>, or null when it is not the
    /// client's fault. Messages name what was wrong and where, never a type or a stack.
    /// </summary>
    public static (int Status, string Title, string Detail)? Classify(Exception exception)
    {
        switch (exception)
        {
            case BadHttpRequestException bad:
                var status = bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest;
                var inner = Describe(bad.InnerException);
                return status switch
                {
                    StatusCodes.Status408RequestTimeout => (status, "Request body too slow", "The request body arrived too slowly, or not at all; send it at a steady rate."),
                    StatusCodes.Status413PayloadTooLarge => (status, "Request too large", bad.Message),
                    StatusCodes.Status415UnsupportedMediaType => (status, "Unsupported media type", bad.Message),
                    _ => (status, "Invalid request", inner is null ? bad.Message : $"{bad.Message} {inner}"),
                };
            case JsonException or DecoderFallbackException:
                return (StatusCodes.Status400BadRequest, "Invalid request", Describe(exception)!);
            default:
                return null;
        }
    }

    private static string? Describe(Exception? exception) => exception switch
    {
        null => null,
        JsonException json when json.LineNumber is { } line =>
            $"The body is not valid JSON at line {line + 1}, byte {json.BytePositionInLine + 1}{(json.Path is { Length: > 0 } p ? $" ({p})" : "")}: {Reason(json)}",
        JsonException json => "The body is not valid JSON: " + Reason(json),
        DecoderFallbackException => "The body is not valid UTF-8.",
        InvalidOperationException { InnerException: DecoderFallbackException } => "The body is not valid UTF-8.",
        _ => Describe(exception.InnerException),
    };

    // System.Text.Json's messages after the first sentence repeat the path and position; keep the reason.
    private static string Reason(JsonException json)
    {
        if (json.InnerException is DecoderFallbackException or InvalidOperationException { InnerException: DecoderFallbackException })
            return "a string is not valid UTF-8.";
        var message = json.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>Answers a client's fault with a 4xx ProblemDetails and a rate-limited warning.</summary>
internal sealed class ClientFaultHandler(IProblemDetailsService problems, ClientFaultLog log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var fault = ClientFaults.Classify(exception);
        // A client that hung up mid-request: its fault, though there is nobody left to answer.
        if (fault is null && exception is IOException or OperationCanceledException && http.RequestAborted.IsCancellationRequested)
            fault = (StatusCodes.Status499ClientClosedRequest, "Request aborted", "The client closed the request.");
        if (fault is not var (status, title, detail))
            return false;
        log.Fault(http, status, detail);
        if (http.Response.HasStarted || http.RequestAborted.IsCancellationRequested)
            return true;
        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>
/// Logs clients' faults at warning, at most one line per kind each minute, with how many were left out:
/// 300 slow clients make one line, not 300 stack traces.
/// </summary>
public sealed class ClientFaultLog(TimeProvider time, ILogger<ClientFaultLog> logger)
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private readonly Dictionary<int, (long Since, int Suppressed)> _last = [];

    /// <summary>Notes a client's fault; logs it unless one of the same status was logged within the last minute.</summary>
    public void Fault(HttpContext http, int status, string detail)
    {
        var now = time.GetTimestamp();
        int suppressed;
        lock (_lock)
        {
            if (_last.TryGetValue(status, out var last) && time.GetElapsedTime(last.Since, now) < Period)
            {
                _last[status] = (last.Since, last.Suppressed + 1);
                return;
            }
            suppressed = last.Suppressed;
            _last[status] = (now, 0);
        }
        if (status == StatusCodes.Status499ClientClosedRequest)
            logger.LogDebug("A client closed {Method} {Path} ({Suppressed} more like it in the last minute)", http.Request.Method, http.Request.Path, suppressed);
        else
            logger.LogWarning("A client's request {Method} {Path} was refused with {Status}: {Detail} ({Suppressed} more like it in the last minute)",
                http.Request.Method, http.Request.Path, status, detail, suppressed);
    }
}

/// <summary>
/// Checks the arguments of every SignalR hub method before it runs: a missing argument or one far too long
/// gets a <see cref="HubException"/> that names it, which the client sees, rather
/// than an <see cref="ArgumentNullException"/> deep in the hub that the client sees as "an unexpected error".
/// It also logs what a hub method throws, in place of SignalR's dispatcher: a <see cref="HubException"/> (a bad
/// argument, an unknown entity) is the client's fault, a rate-limited warning; anything else is the hub's, an error.
/// </summary>
public sealed class HubArgumentFilter(ClientFaultLog faults, ILogger<HubArgumentFilter> logger) : IHubFilter
{
    /// <summary>The category SignalR logs hub method failures under, which the hosts silence in favour of this filter.</summary>
    public const string DispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    /// <summary>Longest string argument accepted; the hub's arguments are catalog ids.</summary>
    public const int MaxStringLength = 256;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<System.Reflection.MethodInfo, (string Name, bool Required)[]> Parameters = new();

    /// <inheritdoc/>
    public async ValueTask<object?> InvokeMethodAsync(
        HubInvocationContext invocation,
        Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await Invoke(invocation, next);
        }
        catch (HubException ex)
        {
            if (invocation.Context.GetHttpContext() is { } http)
                faults.Fault(http, StatusCodes.Status400BadRequest, $"{invocation.HubMethodName}: {ex.Message}");
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Hub method {Method} failed", invocation.HubMethodName);
            throw;
        }
    }

    private static ValueTask<object?> Invoke(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var parameters = Parameters.GetOrAdd(invocation.HubMethod, static method =>
        {
            var nullability = new System.Reflection.NullabilityInfoContext();
            return [.. method.GetParameters().Select(p => (p.Name ?? "argument",
                !p.ParameterType.IsValueType && nullability.Create(p).WriteState == System.Reflection.NullabilityState.NotNull))];
        });
        for (var i = 0; i < parameters.Length && i < invocation.HubMethodArguments.Count; i++)
        {
            var (name, required) = parameters[i];
            var value = invocation.HubMethodArguments[i];
            if (value is null && required)
                throw new HubException($"{invocation.HubMethodName}: the argument '{name}' is required.");
            if (value is string { Length: > MaxStringLength } s)
                throw new HubException($"{invocation.HubMethodName}: the argument '{name}' is {s.Length} characters long; at most {MaxStringLength} are accepted.");
        }
        return next(invocation);
    }
}

/// <summary>Running a hub process so that a bad configuration ends it cleanly.</summary>
public static class HubHostExtensions
{
    /// <summary>
    /// Checks every option validated at start-up, then runs the app. A bad configuration ends the process with one
    /// log line naming each fault and exit code 1, rather than an unhandled exception, a stack trace and an abort.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void RunHub(this WebApplication app)
    {
        // A test's WebApplicationFactory (or a test that calls Main itself) runs Main inside its own process and
        // starts the host itself: leave the host, its exit code and its failure to it. The caller is the host's
        // Main; the environment's application name is no guide, since it defaults to the entry assembly's.
        if (!IsProcessEntry(System.Reflection.Assembly.GetCallingAssembly()))
        {
            app.Run();
            return;
        }
        try
        {
            app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (Failures(ex) is { } faults)
        {
            app.Logger.LogCritical("The hub cannot start because its configuration is invalid: {Faults}", string.Join(" ", faults));
            // Disposing flushes the console logger, which writes on a thread of its own.
            ((IDisposable)app).Dispose();
            Environment.ExitCode = 1;
            return;
        }
        app.Run();
    }

    /// <summary>
    /// Ends the process as <see cref="RunHub"/> does for a configuration fault found before the host is built (a bad
    /// catalog, a misspelt key read while building): one line on standard error and exit code 1. Where
    /// <paramref name="host"/> is not the process's entry point (a test runs Main), the fault is thrown instead.
    /// </summary>
    public static Exception StopForConfiguration(System.Reflection.Assembly host, Exception fault)
    {
        if (!IsProcessEntry(host))
            return fault;
        Console.Error.WriteLine($"crit: The hub cannot start because its configuration is invalid: {fault.Message}");
        Console.Error.Flush();
        Environment.Exit(1);
        return fault;
    }

    private static bool IsProcessEntry(System.Reflection.Assembly host) => System.Reflection.Assembly.GetEntryAssembly() == host;

    // The validator throws one exception for one fault, and an AggregateException of them for several; a key
    // that binds to nothing surfaces as the strict binder's InvalidOperationException naming its section.
    private static IEnumerable<string>? Failures(Exception ex) => ex switch
    {
        Microsoft.Extensions.Options.OptionsValidationException o => o.Failures,
        InvalidOperationException i when i.Message.StartsWith("Configuration section", StringComparison.Ordinal) => [i.Message],
        AggregateException a when a.InnerExceptions.All(i => Failures(i) is not null) => a.InnerExceptions.SelectMany(i => Failures(i)!),
        _ => null,
    };
}
