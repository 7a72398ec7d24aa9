using System.Buffers;
using System.Globalization;
using Ioc.Contracts;
using Ioc.Ingest.Telemetry;
using Ioc.ServiceDefaults.Storage;
using InfluxDB.Client.Api.Domain;

namespace Ioc.Ingest.Storage;

/// <summary>
/// Writes points as InfluxDB line protocol in the hub's schema (<see cref="TelemetrySchema"/>):
/// <c>telemetry,department=…,locality=…,projects=;a;b;,unit=…[,extra tags] metric=value[,metric2=value2] timestamp</c>.
/// Points of one unit with the same tags and timestamp share a line. Timestamps use the coarsest
/// precision that loses nothing for any point of the batch.
/// </summary>
/// <remarks>Not thread-safe: the one drainer owns it. It reuses one pooled buffer for every batch.</remarks>
public sealed class LineProtocolFormatter(Catalog catalog)
{
    private readonly Dictionary<string, string> _prefixes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _extraTags = new(StringComparer.Ordinal);
    private readonly List<string> _lineMetrics = [];
    private char[] _buffer = ArrayPool<char>.Shared.Rent(1 << 16);
    private int _length;

    /// <summary>The batch as line protocol, one string, and the precision its timestamps are in.</summary>
    public (string Text, WritePrecision Precision) Format(IReadOnlyList<TelemetryPoint> points)
    {
        var precision = CoarsestPrecision(points);
        var divisor = precision switch
        {
            WritePrecision.S => TimeSpan.TicksPerSecond,
            WritePrecision.Ms => TimeSpan.TicksPerMillisecond,
            WritePrecision.Us => 10L,
            _ => 1L,
        };
        _length = 0;
        string? unit = null, tags = null;
        long ticks = 0;
        var open = false;
        foreach (var p in points)
        {
            var t = p.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.Ticks;
            if (open && t == ticks && ReferenceOrEqual(p.Unit, unit) && ReferenceOrEqual(p.ExtraTags, tags) && !InLine(p.Metric))
            {
                Append(',');
            }
            else
            {
                if (open) EndLine(ticks, divisor, precision);
                Append(PrefixOf(p.Unit));
                if (ExtraTagsOf(p.ExtraTags) is { } extra)
                {
                    Append(',');
                    Append(extra);
                }
                Append(' ');
                (unit, tags, ticks, open) = (p.Unit, p.ExtraTags, t, true);
                _lineMetrics.Clear();
            }
            _lineMetrics.Add(p.Metric);
            AppendEscaped(p.Metric);
            Append('=');
            AppendValue(p.Value);
        }
        if (open) EndLine(ticks, divisor, precision, last: true);
        return (new string(_buffer, 0, _length), precision);
    }

    /// <summary>The coarsest of s, ms, µs and ns that every timestamp of the batch is a whole multiple of.</summary>
    public static WritePrecision CoarsestPrecision(IReadOnlyList<TelemetryPoint> points)
    {
        var precision = WritePrecision.S;
        foreach (var p in points)
        {
            var t = p.Timestamp.UtcTicks;
            if (t % 10 != 0) return WritePrecision.Ns;
            if (t % TimeSpan.TicksPerMillisecond != 0) precision = WritePrecision.Us;
            else if (t % TimeSpan.TicksPerSecond != 0 && precision == WritePrecision.S) precision = WritePrecision.Ms;
        }
        return precision;
    }

    private void EndLine(long ticks, long divisor, WritePrecision precision, bool last = false)
    {
        Append(' ');
        Ensure(24);
        var value = precision == WritePrecision.Ns ? ticks * 100 : ticks / divisor;
        value.TryFormat(_buffer.AsSpan(_length), out var n, provider: CultureInfo.InvariantCulture);
        _length += n;
        if (!last) Append('\n');
    }

    private bool InLine(string metric)
    {
        foreach (var m in _lineMetrics)
            if (ReferenceOrEqual(m, metric)) return true;
        return false;
    }

    private static bool ReferenceOrEqual(string? a, string? b) => ReferenceEquals(a, b) || string.Equals(a, b, StringComparison.Ordinal);

    private string PrefixOf(string unit)
    {
        if (_prefixes.TryGetValue(unit, out var prefix)) return prefix;
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal) { [TelemetrySchema.UnitTag] = unit };
        if (catalog.TryGetEntity(unit, out var entity))
        {
            if (entity.Locality is { } locality) tags[TelemetrySchema.LocalityTag] = locality;
            if (entity.Department is { } department) tags[TelemetrySchema.DepartmentTag] = department;
            if (TelemetrySchema.ProjectsValue(entity.Projects) is { } projects) tags[TelemetrySchema.ProjectsTag] = projects;
        }
        prefix = TelemetrySchema.Measurement + string.Concat(tags.Select(t => "," + Escape(t.Key) + "=" + Escape(t.Value)));
        _prefixes[unit] = prefix;
        return prefix;
    }

    /// <summary>A unit's own tags, without any that would override the ones the hub derives from the catalog.</summary>
    private string? ExtraTagsOf(string? extra)
    {
        if (string.IsNullOrEmpty(extra)) return null;
        if (_extraTags.TryGetValue(extra, out var kept)) return kept;
        var pairs = SplitUnescaped(extra, ',')
            .Where(pair => !TelemetrySchema.DerivedTags.Contains(SplitUnescaped(pair, '=').First()))
            .ToList();
        kept = pairs.Count == 0 ? null : string.Join(',', pairs);
        if (_extraTags.Count >= 10_000) _extraTags.Clear();
        _extraTags[extra] = kept;
        return kept;
    }

    private static IEnumerable<string> SplitUnescaped(string s, char separator)
    {
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] != separator) continue;
            yield return s[start..i];
            start = i + 1;
            if (separator == '=') break;
        }
        yield return s[start..];
    }

    private static string Escape(string s) =>
        s.AsSpan().IndexOfAny(", =\\") < 0 ? s : s.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=").Replace(" ", "\\ ");

    private void AppendEscaped(string s) => Append(Escape(s));

    private void AppendValue(double value)
    {
        Ensure(32);
        value.TryFormat(_buffer.AsSpan(_length), out var n, "R", CultureInfo.InvariantCulture);
        _length += n;
    }

    private void Append(char c)
    {
        Ensure(1);
        _buffer[_length++] = c;
    }

    private void Append(string s)
    {
        Ensure(s.Length);
        s.CopyTo(_buffer.AsSpan(_length));
        _length += s.Length;
    }

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + extra));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
