using System.ComponentModel.DataAnnotations;

namespace Ioc.Contracts;

/// <summary>
/// The bounds of a duration setting, written as <see cref="TimeSpan"/> strings (<c>d.hh:mm:ss.fff</c>): a
/// <see cref="RangeAttribute"/> over <see cref="TimeSpan"/>, checked and worded as every other range of the hub's options.
/// </summary>
/// <param name="minimum">The shortest duration allowed, such as <c>"00:00:01"</c>.</param>
/// <param name="maximum">The longest duration allowed, such as <c>"01:00:00"</c>.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : RangeAttribute(typeof(TimeSpan), minimum, maximum);
