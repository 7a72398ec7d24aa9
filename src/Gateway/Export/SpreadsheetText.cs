namespace Ioc.Gateway.Export;

/// <summary>
/// Keeps text a user wrote (a unit's name, an acknowledgement comment, a token name) from becoming a
/// formula when a spreadsheet opens an export: text starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a
/// tab or a carriage return gets a leading apostrophe, which spreadsheets read as "this is text". Numbers
/// are written as numbers and never pass through here, so a negative number stays a number.
/// </summary>
public static class SpreadsheetText
{
    /// <summary>The characters that make a spreadsheet read a cell as a formula or a command.</summary>
    public static ReadOnlySpan<char> FormulaStarts => "=+-@\t\r";

    /// <summary>Whether <paramref name="text"/> would be read as a formula as it stands.</summary>
    public static bool NeedsEscape(string? text) => !string.IsNullOrEmpty(text) && FormulaStarts.Contains(text[0]);

    /// <summary><paramref name="text"/> made safe to put in a cell: prefixed with <c>'</c> when it starts like a formula.</summary>
    public static string? Escape(string? text) => NeedsEscape(text) ? "'" + text : text;
}
