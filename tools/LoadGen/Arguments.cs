using System.Globalization;

namespace Ioc.LoadGen;

/// <summary><c>--name value</c> and <c>--flag</c> arguments; unknown names are an error, so typos do not pass silently.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(IEnumerable<string> args)
    {
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (name is not null) _values[name] = null;
                var eq = arg.IndexOf('=');
                if (eq > 0)
                {
                    _values[arg[2..eq]] = arg[(eq + 1)..];
                    name = null;
                }
                else
                {
                    name = arg[2..];
                }
            }
            else if (name is not null)
            {
                _values[name] = arg;
                name = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }
        if (name is not null) _values[name] = null;
    }

    public string? String(string name, string? fallback = null)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v ?? fallback : fallback;
    }

    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) && (v is null || bool.Parse(v));
    }

    public int Int(string name, int fallback) => String(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double? Double(string name) => String(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public long? Long(string name) => String(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;

    public int[] Ints(string name, int[] fallback) =>
        String(name) is { } v ? [.. v.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture))] : fallback;

    /// <summary>Throws if an argument was given that nothing asked for.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException("Unknown option(s): " + string.Join(", ", unknown.Select(k => "--" + k)));
    }
}
