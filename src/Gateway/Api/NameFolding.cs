using System.Globalization;
using System.Text;

namespace Ioc.Gateway.Api;

/// <summary>
/// Folds a name or an id for matching as people type it: "Văn Lâm", "VAN LAM", "van-lam" and "van lam"
/// all fold to "van lam". Diacritics go, letters are lower-cased and hyphens, underscores and runs of
/// white space become one space.
/// </summary>
public static class NameFolding
{
    /// <summary>The folded form of <paramref name="text"/>.</summary>
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        // Canonical decomposition splits "ầ" into "a" and its marks; đ/Đ is a letter of its own with
        // no decomposition, so it is mapped by hand.
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        var space = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
                continue;
            if (char.IsWhiteSpace(c) || c is '-' or '_')
            {
                space = folded.Length > 0;
                continue;
            }
            if (space)
            {
                folded.Append(' ');
                space = false;
            }
            folded.Append(c is 'đ' or 'Đ' ? 'd' : char.ToLowerInvariant(c));
        }
        return folded.ToString();
    }
}
