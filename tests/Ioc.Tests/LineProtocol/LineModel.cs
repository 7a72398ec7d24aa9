using System.Globalization;
using Ioc.Ingest.LineProtocol;

namespace Ioc.Tests.LineProtocol;

/// <summary>A field value as the specification describes it; <see cref="Spelling"/> is how a boolean was written.</summary>
public sealed record ModelValue(FieldKind Kind, double Float = 0, long Integer = 0, ulong Unsigned = 0, bool Boolean = false, string? Text = null, string? Spelling = null)
{
    public string Serialize() => Kind switch
    {
        FieldKind.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Integer => Integer.ToString(CultureInfo.InvariantCulture) + "i",
        FieldKind.Unsigned => Unsigned.ToString(CultureInfo.InvariantCulture) + "u",
        FieldKind.Boolean => Spelling!,
        _ => "\"" + Escaping.Escape(Text!, Escaping.Element.String) + "\"",
    };

    public bool SameAs(FieldValue v) => v.Kind == Kind && Kind switch
    {
        FieldKind.Float => BitConverter.DoubleToInt64Bits(v.Float) == BitConverter.DoubleToInt64Bits(Float),
        FieldKind.Integer => v.Integer == Integer,
        FieldKind.Unsigned => v.Unsigned == Unsigned,
        FieldKind.Boolean => v.Boolean == Boolean,
        _ => Escaping.UnescapeToString(v.Raw, Escaping.Element.String) == Text,
    };
}

/// <summary>A point as the specification describes it, and its serialization with the specification's escaping.</summary>
public sealed record ModelLine(string Measurement, (string Key, string Value)[] Tags, (string Key, ModelValue Value)[] Fields, long? Timestamp)
{
    public string Serialize()
    {
        var sb = new StringBuilder(Escaping.Escape(Measurement, Escaping.Element.Measurement));
        foreach (var (k, v) in Tags)
            sb.Append(',').Append(Escaping.Escape(k, Escaping.Element.Key)).Append('=').Append(Escaping.Escape(v, Escaping.Element.Key));
        sb.Append(' ');
        sb.AppendJoin(',', Fields.Select(f => Escaping.Escape(f.Key, Escaping.Element.Key) + "=" + f.Value.Serialize()));
        if (Timestamp is { } ts) sb.Append(' ').Append(ts.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>Lines the serialization spans: string values may hold newlines.</summary>
    public int Height => 1 + Fields.Sum(f => f.Value.Text?.Count(c => c == '\n') ?? 0);

    /// <summary>Whether <paramref name="line"/> reads back as this point.</summary>
    public string? Mismatch(Line line)
    {
        var measurement = Escaping.UnescapeToString(line.Measurement, Escaping.Element.Measurement);
        if (measurement != Measurement) return $"measurement {measurement} != {Measurement}";
        var i = 0;
        foreach (var tag in line.EnumerateTags())
        {
            if (i >= Tags.Length) return "more tags than written";
            var (k, v) = (Escaping.UnescapeToString(tag.Key, Escaping.Element.Key), Escaping.UnescapeToString(tag.Value, Escaping.Element.Key));
            if ((k, v) != Tags[i]) return $"tag {i}: {k}={v} != {Tags[i].Key}={Tags[i].Value}";
            i++;
        }
        if (i != Tags.Length) return "fewer tags than written";
        i = 0;
        foreach (var field in line.EnumerateFields())
        {
            if (i >= Fields.Length) return "more fields than written";
            var k = Escaping.UnescapeToString(field.Key, Escaping.Element.Key);
            if (k != Fields[i].Key) return $"field {i}: key {k} != {Fields[i].Key}";
            if (!Fields[i].Value.SameAs(field.Value)) return $"field {i} ({k}): value {field.Value.Kind} '{Encoding.UTF8.GetString(field.Value.Raw)}' != {Fields[i].Value}";
            i++;
        }
        if (i != Fields.Length) return "fewer fields than written";
        var ts = line.Timestamp.IsEmpty ? (long?)null : long.Parse(line.Timestamp, CultureInfo.InvariantCulture);
        return ts == Timestamp ? null : $"timestamp {ts} != {Timestamp}";
    }
}
