using System.Globalization;
using System.Text;
using Ioc.Contracts;

namespace Ioc.Gateway.Export;

/// <summary>
/// Writes CSV that Excel opens correctly with Vietnamese text: UTF-8 with a byte-order mark, fields
/// separated by commas, rows ended by CRLF, fields quoted as RFC 4180 says (only when they hold a comma,
/// a quote or a line break, with quotes doubled), numbers with a decimal point whatever the culture.
/// Rows are buffered and written asynchronously, as a response body requires. Text is escaped against
/// formula injection (<see cref="SpreadsheetText"/>); numbers from <see cref="Number"/> are written as they are.
/// </summary>
public sealed class CsvWriter(Stream stream) : IAsyncDisposable
{
    /// <summary>The UTF-8 byte-order mark every file starts with.</summary>
    public static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The media type to serve CSV with.</summary>
    public const string ContentType = "text/csv; charset=utf-8";

    private const int FlushAt = 32 * 1024;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly StringBuilder _buffer = new();
    private bool _started;

    /// <summary>Adds a row of text; null fields are empty. Writes to the stream once enough has gathered.</summary>
    public ValueTask WriteRowAsync(params ReadOnlySpan<string?> fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) _buffer.Append(',');
            Append(SpreadsheetText.Escape(fields[i]));
        }
        return EndRow();
    }

    /// <summary>Adds a row of text and numbers (strings convert to text fields); null fields are empty.</summary>
    public ValueTask WriteRowAsync(params ReadOnlySpan<CsvField> fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) _buffer.Append(',');
            Append(fields[i].IsNumber ? fields[i].Text : SpreadsheetText.Escape(fields[i].Text));
        }
        return EndRow();
    }

    private ValueTask EndRow()
    {
        _buffer.Append("\r\n");
        return _buffer.Length >= FlushAt ? new ValueTask(FlushAsync()) : ValueTask.CompletedTask;
    }

    /// <summary>Writes what has gathered, after the byte-order mark if nothing was written yet.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            await stream.WriteAsync(ByteOrderMark.ToArray(), cancellationToken);
        }
        if (_buffer.Length > 0)
        {
            var bytes = Utf8.GetBytes(_buffer.ToString());
            _buffer.Clear();
            await stream.WriteAsync(bytes, cancellationToken);
        }
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Writes whatever remains.</summary>
    public async ValueTask DisposeAsync() => await FlushAsync();

    /// <summary>A number as CSV: shortest round-trip form with a decimal point, never escaped; empty when not finite.</summary>
    public static CsvField Number(double value) =>
        new(double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "", IsNumber: true);

    /// <summary>An optional number as CSV; empty when absent.</summary>
    public static CsvField Number(double? value) => value is { } v ? Number(v) : new("", IsNumber: true);

    /// <summary>An instant as CSV: ISO 8601 in Vietnam time, to the second, with its offset.</summary>
    public static string Time(DateTimeOffset value) =>
        value.ToOffset(ReportingPeriod.VietnamOffset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>An optional instant as CSV; empty when absent.</summary>
    public static string Time(DateTimeOffset? value) => value is { } v ? Time(v) : "";

    private void Append(string? field)
    {
        if (string.IsNullOrEmpty(field)) return;
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            _buffer.Append(field);
            return;
        }
        _buffer.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}

/// <summary>
/// One CSV field: text, which is escaped against formula injection, or a number written by
/// <see cref="CsvWriter.Number(double)"/>, which is not, so that <c>-3</c> stays a number.
/// </summary>
/// <param name="Text">The field as written (before quoting).</param>
/// <param name="IsNumber">Whether it is a number.</param>
public readonly record struct CsvField(string? Text, bool IsNumber = false)
{
    /// <summary>Text, escaped when written.</summary>
    public static implicit operator CsvField(string? text) => new(text);

    /// <summary>The field as written, before escaping and quoting.</summary>
    public override string ToString() => Text ?? "";
}
