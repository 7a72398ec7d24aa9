namespace Ioc.TimeSeries;

/// <summary>A point accepted for ingest, with catalog-interned unit and metric ids.</summary>
/// <param name="Unit">Unit id from the catalog.</param>
/// <param name="Metric">Metric id from the catalog.</param>
/// <param name="Value">A finite value.</param>
/// <param name="Timestamp">When it was measured; server time when the unit gave none.</param>
/// <param name="ExtraTags">
/// Tags the unit sent beyond those the hub derives from the catalog, already escaped as line protocol
/// (<c>site=gate\ 2,lane=1</c>), sorted by key; shared by all the fields of one line, so it costs nothing per field.
/// </param>
public readonly record struct TelemetryPoint(string Unit, string Metric, double Value, DateTimeOffset Timestamp, string? ExtraTags = null);
