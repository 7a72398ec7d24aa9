using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ioc.ServiceDefaults;

/// <summary>
/// The one way the hub's options are validated. An options class states its rules itself: attributes such as
/// <see cref="RangeAttribute"/> for each setting's bounds, and <see cref="IValidatableObject"/> for rules between
/// settings or on the environment (<see cref="IsDevelopment"/>). A nested section, declared as a property of its
/// parent's options class, is checked by the same rules under its own path. <see cref="StrictBinding.BindStrictly{T}"/>
/// registers this for every section, and <c>ValidateOnStart</c> runs it as the host starts; a setting read while
/// the host is still being built (<see cref="StrictBinding.GetStrictly{T}"/>) is checked the same way there.
/// </summary>
public static class SectionValidation
{
    /// <summary>What is wrong with <paramref name="options"/>, bound from <paramref name="section"/>; empty when nothing is.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="section">The section's path, such as <c>Ingest</c>, which each failure names.</param>
    /// <param name="services">Services a rule may ask for, such as the host environment; null while the host is built.</param>
    public static IReadOnlyList<string> Failures(object options, string section, IServiceProvider? services)
    {
        var failures = new List<string>();
        Collect(options, section, services, failures);
        return failures;
    }

    /// <summary>Whether the host the options are validated in runs in the Development environment; false when unknown.</summary>
    public static bool IsDevelopment(ValidationContext context) =>
        context.GetService(typeof(IHostEnvironment)) is IHostEnvironment environment && environment.IsDevelopment();

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing the failures, if there are any.</summary>
    internal static void ThrowIfInvalid<T>(T options, string section) where T : class
    {
        if (Failures(options, section, null) is { Count: > 0 } failures)
            throw new OptionsValidationException(section, typeof(T), failures);
    }

    private static void Collect(object value, string path, IServiceProvider? services, List<string> failures)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value, services, null), results, validateAllProperties: true);
        foreach (var result in results)
        {
            // An attribute's message names the property only; an operator looks for the whole key.
            var keys = string.Join(", ", result.MemberNames.Select(m => $"{path}:{m}"));
            failures.Add(keys.Length > 0 ? $"{keys}: {result.ErrorMessage}" : result.ErrorMessage ?? $"{path} is invalid.");
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (IsSection(property) && property.GetValue(value) is { } nested)
                Collect(nested, $"{path}:{property.Name}", services, failures);
        }
    }

    // A nested section is a property whose type is one of the hub's own options classes.
    private static bool IsSection(PropertyInfo property) =>
        property.GetIndexParameters().Length == 0
        && property.PropertyType is { IsClass: true } type
        && type != typeof(string)
        && type.Namespace?.StartsWith("Ioc.", StringComparison.Ordinal) == true;
}

/// <summary>Validates a section bound by <see cref="StrictBinding.BindStrictly{T}"/> by <see cref="SectionValidation"/>.</summary>
internal sealed class SectionValidator<T>(string? name, string section, IServiceProvider services) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? optionsName, T options)
    {
        if (name is not null && name != optionsName)
            return ValidateOptionsResult.Skip;
        var failures = SectionValidation.Failures(options, section, services);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
