using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ioc.ServiceDefaults.Storage;

/// <summary>Registers the data directory, the time-series options and the embedded store.</summary>
public static class StorageExtensions
{
    /// <summary>
    /// Binds and validates <see cref="StorageOptions"/> and <see cref="TimeSeriesOptions"/>, and makes the
    /// <see cref="EmbeddedStore"/> available; it is opened only by what uses it.
    /// </summary>
    public static IHostApplicationBuilder AddHubStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindStrictly(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<TimeSeriesOptions>().BindStrictly(TimeSeriesOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TimeSeriesOptions>, TimeSeriesOptionsValidator>());
        builder.Services.AddSingleton<EmbeddedStore>();
        return builder;
    }
}

internal sealed class TimeSeriesOptionsValidator : IValidateOptions<TimeSeriesOptions>
{
    public ValidateOptionsResult Validate(string? name, TimeSeriesOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
