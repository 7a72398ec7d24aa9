namespace Ioc.TimeSeries;

/// <summary>
/// One line of a line-protocol request as received, by where its pieces lie in the request's body, so that
/// <see cref="LineProtocolFormatter.TrySpliceUtf8"/> can write it on with the catalog's tags spliced in and its
/// own field set and timestamp copied as bytes.
/// </summary>
/// <remarks>
/// The parser vouches for what is copied: every field key is its metric's catalog id, every value is written
/// as the formatter would write the number (a float in its shortest round-trip form, or an integer of at most
/// 15 digits, whose <c>i</c> or <c>u</c> suffix is dropped), one per point of the line and in the same order; the
/// keys are the catalog's ids when <see cref="Verbatim"/>, else without escapes (they are written from the catalog);
/// the timestamp, when there is one, is canonical digits in the request's precision.
/// </remarks>
/// <param name="FirstPoint">The index of the line's first point in the request's points.</param>
/// <param name="Points">How many points (fields) the line has.</param>
/// <param name="FieldsAt">Where the field set starts in the body.</param>
/// <param name="FieldsLength">The field set's length in bytes.</param>
/// <param name="TimestampAt">Where the timestamp starts in the body.</param>
/// <param name="TimestampLength">The timestamp's length in bytes; 0 when the hub stamped the line.</param>
/// <param name="Verbatim">
/// Whether the field set is written as received, in one piece; else field by field, each key the catalog's id and each
/// value without an integer suffix (<c>vehicle_count=81i</c> is written <c>vehicle-count=81</c>).
/// </param>
/// <param name="UnitAt">Where the UTF-8 of the line's unit id lies in the body (its <c>unit</c> tag's value, which has no escapes).</param>
/// <param name="UnitLength">
/// The unit id's length in bytes there; 0 when the parser did not note it, and the id is then looked up by the point's unit.
/// A compact line starts with these bytes, so a spread request's lines need no lookup of their units, whose entries are
/// seldom in the cache.
/// </param>
public readonly record struct ReceivedLine(
    int FirstPoint, int Points, int FieldsAt, int FieldsLength, int TimestampAt, int TimestampLength, bool Verbatim,
    int UnitAt = 0, int UnitLength = 0);
