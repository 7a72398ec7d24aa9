using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ioc.ServiceDefaults;

/// <summary>
/// Binds the hub's own configuration sections strictly: a key that matches no property stops start-up with a
/// message naming the section and the key. Without it a mistyped or stale setting (an environment variable in a
/// ConfigMap, say) is silently ignored and the default applies, which is how a write-ahead buffer once ended up
/// off its volume.
/// </summary>
public static class StrictBinding
{
    /// <summary>The binder settings of a strict section: unknown keys are errors.</summary>
    public static void Strict(BinderOptions binder) => binder.ErrorOnUnknownConfiguration = true;

    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/> like <c>BindConfiguration</c>, but fails on
    /// keys that bind to nothing, validates it by its own rules (<see cref="SectionValidation"/>), and records the
    /// section as a <see cref="HubSection"/>. Follow it with <c>ValidateOnStart</c>.
    /// </summary>
    public static OptionsBuilder<T> BindStrictly<T>(this OptionsBuilder<T> options, string section) where T : class
    {
        options.Services.AddSingleton(new HubSection(section, typeof(T)));
        var name = options.Name;
        options.Services.AddSingleton<IValidateOptions<T>>(sp => new SectionValidator<T>(name, section, sp));
        options.Services.AddSingleton<IOptionsChangeTokenSource<T>>(sp =>
            new ConfigurationChangeTokenSource<T>(options.Name, sp.GetRequiredService<IConfiguration>()));
        return options.Configure<IConfiguration>((value, configuration) => Bind(configuration.GetSection(section), value));
    }

    /// <summary>
    /// Reads <paramref name="section"/> now, while the host is still being built, with the same strictness and the
    /// same rules; a rule broken throws <see cref="OptionsValidationException"/>.
    /// </summary>
    public static T GetStrictly<T>(this IConfiguration configuration, string section) where T : class, new()
    {
        var value = new T();
        Bind(configuration.GetSection(section), value);
        SectionValidation.ThrowIfInvalid(value, section);
        return value;
    }

    private static void Bind(IConfigurationSection section, object value)
    {
        try
        {
            section.Bind(value, Strict);
        }
        catch (InvalidOperationException e) when (e.Message.Contains(nameof(BinderOptions.ErrorOnUnknownConfiguration), StringComparison.Ordinal))
        {
            // The binder's own message names the properties but not the section; an operator looks for the section.
            throw new InvalidOperationException(
                $"Configuration section '{section.Path}' has a key that binds to nothing (misspelt or no longer used; in environment variables '__' stands for ':'). {e.Message}", e);
        }
    }
}

/// <summary>A configuration section the hub binds strictly, and the options type it binds to.</summary>
/// <param name="Path">The section, such as <c>TimeSeries</c>.</param>
/// <param name="OptionsType">The type its keys must match.</param>
public sealed record HubSection(string Path, Type OptionsType);
