using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ioc.Contracts;

namespace Ioc.LoadGen;

/// <summary>
/// Writes a catalog for load runs: the seeded province, localities, departments and projects with
/// their metrics, and <c>units</c> synthetic units in place of the seeded ones, each reporting the
/// same <c>metrics</c> metrics (the fast operational ones first). The hub validates units against its
/// catalog, so a run with U units needs a catalog that holds them.
/// </summary>
public static class BenchCatalog
{
    /// <summary>Prefix of every synthetic unit id.</summary>
    public const string UnitPrefix = "bench-";

    /// <summary>The seeded catalog shipped next to this program.</summary>
    public static string SeededPath => Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json");

    /// <summary>Writes the catalog to <paramref name="output"/> and checks that the hub's loader accepts it.</summary>
    public static void Write(string output, int units, int metrics, string? seeded = null)
    {
        var doc = JsonNode.Parse(File.ReadAllText(seeded ?? SeededPath))!.AsObject();
        var metricNodes = doc["metrics"]!.AsArray();
        // Fast metrics first, so that a run with few metrics per unit exercises telemetry, not monthly indicators.
        var ordered = metricNodes
            .Select((m, i) => (Id: m!["id"]!.GetValue<string>(), Interval: TimeSpan.Parse(m["interval"]!.GetValue<string>(), CultureInfo.InvariantCulture), i))
            .OrderBy(m => m.Interval).ThenBy(m => m.i).Select(m => m.Id).ToArray();
        if (metrics < 1 || metrics > ordered.Length)
            throw new ArgumentOutOfRangeException(nameof(metrics), $"The catalog has {ordered.Length} metrics; ask for 1 to {ordered.Length}.");

        var entities = doc["entities"]!.AsArray();
        var kept = new JsonArray();
        var localities = new List<string>();
        var departments = new List<string>();
        foreach (var e in entities)
        {
            var kind = e!["kind"]!.GetValue<string>();
            if (kind == nameof(EntityKind.Unit)) continue;
            var id = e["id"]!.GetValue<string>();
            if (kind is nameof(EntityKind.City) or nameof(EntityKind.Town) or nameof(EntityKind.District)) localities.Add(id);
            if (kind == nameof(EntityKind.Department)) departments.Add(id);
            kept.Add(e.DeepClone());
        }
        var chosen = new JsonArray([.. ordered.Take(metrics).Select(m => (JsonNode)JsonValue.Create(m)!)]);
        var width = Math.Max(5, units.ToString(CultureInfo.InvariantCulture).Length);
        for (var i = 1; i <= units; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
            var unit = new JsonObject
            {
                ["id"] = $"{UnitPrefix}{n}",
                ["kind"] = nameof(EntityKind.Unit),
                ["name"] = $"Đơn vị thử tải {n}",
                ["nameEn"] = $"Benchmark unit {n}",
                ["role"] = "benchmark",
                ["locality"] = localities[i % localities.Count],
                ["metrics"] = chosen.DeepClone(),
                // Written even when empty: at this commit the catalog loader fails on a unit without "projects".
                ["projects"] = new JsonArray(),
            };
            // Some units also report to a department and to the IOC project, so those roll-ups carry load too.
            if (i % 10 == 0 && departments.Count > 0) unit["department"] = departments[i / 10 % departments.Count];
            if (i % 4 == 0) unit["projects"] = new JsonArray("ioc");
            kept.Add(unit);
        }
        doc["entities"] = kept;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Catalog.Load(output);
    }
}
