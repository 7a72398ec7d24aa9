using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ioc.Contracts;

/// <summary>The kinds of entity in the province's hierarchy.</summary>
public enum EntityKind
{
    /// <summary>The province; the root.</summary>
    Province,
    /// <summary>A provincial city (thành phố).</summary>
    City,
    /// <summary>A town (thị xã).</summary>
    Town,
    /// <summary>A rural district (huyện).</summary>
    District,
    /// <summary>A provincial department (sở, ban, ngành).</summary>
    Department,
    /// <summary>A smart-city project, which may span localities.</summary>
    Project,
    /// <summary>A reporting unit: a People's Committee, a sensor, a service point.</summary>
    Unit,
}

/// <summary>A metric the hub knows: what it measures, how often it arrives and how it is judged.</summary>
[GenerateSerializer, Immutable]
public sealed record MetricDefinition
{
    /// <summary>ASCII slug, also the field name in the time-series store.</summary>
    [Id(0)] public required string Id { get; init; }
    /// <summary>Vietnamese display name.</summary>
    [Id(1)] public required string Name { get; init; }
    /// <summary>English display name.</summary>
    [Id(2)] public string? NameEn { get; init; }
    /// <summary>Unit of measure, such as "%" or "µg/m³".</summary>
    [Id(3)] public required string UnitOfMeasure { get; init; }
    /// <summary>How often a unit is expected to report it.</summary>
    [Id(4)] public required TimeSpan Interval { get; init; }
    /// <summary>How values combine up the hierarchy.</summary>
    [Id(5)] public required RollupKind Rollup { get; init; }
    /// <summary>The target, where one is set.</summary>
    [Id(6)] public Target? Target { get; init; }
    /// <summary>Alert thresholds, where set.</summary>
    [Id(7)] public Thresholds? Thresholds { get; init; }
    /// <summary>Whether this is a digital-transformation indicator reported on a schedule.</summary>
    [Id(8)] public bool Indicator { get; init; }
    /// <summary>Whether the wall shows it on tiles.</summary>
    [Id(9)] public bool Key { get; init; }

    /// <summary>The catalog's own rule for this metric, before any per-entity override.</summary>
    [JsonIgnore] public MetricRule Rule => new(Id, Target, Thresholds);

    /// <summary>The status of a fresh <paramref name="value"/> under the catalog's rule: thresholds first, then the target.</summary>
    public HealthStatus Classify(double value) => Rule.Classify(value);
}

/// <summary>A place in the hierarchy: the province, a locality, a department, a project or a unit.</summary>
[GenerateSerializer, Immutable]
public sealed record CatalogEntity
{
    /// <summary>ASCII slug.</summary>
    [Id(0)] public required string Id { get; init; }
    /// <summary>Kind of entity.</summary>
    [Id(1)] public required EntityKind Kind { get; init; }
    /// <summary>Vietnamese display name, with diacritics.</summary>
    [Id(2)] public required string Name { get; init; }
    /// <summary>English display name.</summary>
    [Id(3)] public string? NameEn { get; init; }
    /// <summary>For a unit: its one locality.</summary>
    [Id(4)] public string? Locality { get; init; }
    /// <summary>For a unit: the department it belongs to, if any.</summary>
    [Id(5)] public string? Department { get; init; }
    /// <summary>For a unit: the projects it takes part in.</summary>
    [Id(6)] public ImmutableArray<string> Projects { get; init; } = [];
    /// <summary>For a unit: the metrics it reports.</summary>
    [Id(7)] public ImmutableArray<string> Metrics { get; init; } = [];
    /// <summary>For a locality: its place on the wall's map grid (column, row).</summary>
    [Id(8)] public ImmutableArray<int> Map { get; init; } = [];
    /// <summary>For a unit: a short description of what it is (People's Committee, air-quality station, ...).</summary>
    [Id(9)] public string? Role { get; init; }

    /// <summary>Whether this is a city, a town or a district.</summary>
    [JsonIgnore] public bool IsLocality => Kind is EntityKind.City or EntityKind.Town or EntityKind.District;
}

/// <summary>The checked-in description of the province: every entity and every metric.</summary>
public sealed class Catalog
{
    private readonly FrozenDictionary<string, CatalogEntity> _entities;
    private readonly FrozenDictionary<string, MetricDefinition> _metrics;
    private readonly FrozenDictionary<string, ImmutableArray<string>> _children;
    private readonly FrozenDictionary<string, ImmutableArray<string>> _parents;
    private readonly FrozenDictionary<string, FrozenSet<string>> _unitsUnder;
    private readonly FrozenDictionary<string, CatalogEntity>.AlternateLookup<ReadOnlySpan<char>> _entitiesBySpan;
    private readonly FrozenDictionary<string, MetricDefinition>.AlternateLookup<ReadOnlySpan<char>> _metricsBySpan;
    private readonly FrozenDictionary<string, (MetricDefinition Metric, int Ordinal)>.AlternateLookup<ReadOnlySpan<char>> _metricsBySpelling;
    private readonly FrozenDictionary<string, int> _metricOrdinals;

    private Catalog(IReadOnlyList<CatalogEntity> entities, IReadOnlyList<MetricDefinition> metrics)
    {
        Entities = [.. entities];
        Metrics = [.. metrics];
        _entities = entities.ToFrozenDictionary(e => e.Id, StringComparer.Ordinal);
        _metrics = metrics.ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
        _entitiesBySpan = _entities.GetAlternateLookup<ReadOnlySpan<char>>();
        _metricsBySpan = _metrics.GetAlternateLookup<ReadOnlySpan<char>>();
        _metricOrdinals = metrics.Select((m, i) => (m.Id, i)).ToFrozenDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var spellings = metrics.Select((m, i) => (m, i)).ToDictionary(x => x.m.Id, x => x, StringComparer.Ordinal);
        // Telegraf and InfluxDB users spell names with underscores.
        for (var i = 0; i < metrics.Count; i++) spellings.TryAdd(metrics[i].Id.Replace('-', '_'), (metrics[i], i));
        _metricsBySpelling = spellings.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        Province = entities.Single(e => e.Kind == EntityKind.Province);

        var parents = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        foreach (var e in entities)
        {
            parents[e.Id] = e.Kind switch
            {
                EntityKind.Province => [],
                EntityKind.Unit => [e.Locality!, .. e.Department is { } d ? [d] : Array.Empty<string>(), .. e.Projects.IsDefault ? [] : e.Projects],
                _ => [Province.Id],
            };
        }
        _parents = parents.ToFrozenDictionary(StringComparer.Ordinal);

        // One pass over every entity's parents, not a scan of all entities per entity: a catalog of
        // 20,000 units loads in milliseconds. Children stay in file order, each listed once.
        var children = entities.ToDictionary(e => e.Id, _ => ImmutableArray.CreateBuilder<string>(), StringComparer.Ordinal);
        foreach (var c in entities)
        {
            var of = parents[c.Id];
            for (var i = 0; i < of.Length; i++)
                if (of.IndexOf(of[i], 0, i, StringComparer.Ordinal) < 0 && children.TryGetValue(of[i], out var list))
                    list.Add(c.Id);
        }
        _children = children.ToFrozenDictionary(x => x.Key, x => x.Value.ToImmutable(), StringComparer.Ordinal);
        var allUnits = entities.Where(u => u.Kind == EntityKind.Unit).Select(u => u.Id).ToFrozenSet(StringComparer.Ordinal);
        _unitsUnder = entities.ToFrozenDictionary(
            e => e.Id,
            e => e.Kind switch
            {
                EntityKind.Unit => new[] { e.Id }.ToFrozenSet(StringComparer.Ordinal),
                EntityKind.Province => allUnits,
                _ => _children[e.Id].Where(c => _entities[c].Kind == EntityKind.Unit).ToFrozenSet(StringComparer.Ordinal),
            },
            StringComparer.Ordinal);
    }

    /// <summary>Every entity, in file order.</summary>
    public ImmutableArray<CatalogEntity> Entities { get; }

    /// <summary>Every metric, in file order.</summary>
    public ImmutableArray<MetricDefinition> Metrics { get; }

    /// <summary>The root.</summary>
    public CatalogEntity Province { get; }

    /// <summary>Looks up an entity.</summary>
    public bool TryGetEntity(string id, out CatalogEntity entity) => _entities.TryGetValue(id, out entity!);

    /// <summary>Looks up a metric.</summary>
    public bool TryGetMetric(string id, out MetricDefinition metric) => _metrics.TryGetValue(id, out metric!);

    /// <summary>Looks up an entity by an id read from a request, without making a string of it.</summary>
    public bool TryGetEntity(ReadOnlySpan<char> id, out CatalogEntity entity) => _entitiesBySpan.TryGetValue(id, out entity!);

    /// <summary>Looks up a metric by an id read from a request, without making a string of it.</summary>
    public bool TryGetMetric(ReadOnlySpan<char> id, out MetricDefinition metric) => _metricsBySpan.TryGetValue(id, out metric!);

    /// <summary>
    /// Looks up a metric by a name read from a request, its id or the id with underscores for hyphens (as
    /// InfluxDB agents spell field keys), without making a string of it.
    /// </summary>
    public bool TryGetMetricSpelt(ReadOnlySpan<char> name, out MetricDefinition metric) => TryGetMetricSpelt(name, out metric, out _);

    /// <summary>As <see cref="TryGetMetricSpelt(ReadOnlySpan{char}, out MetricDefinition)"/>, with the metric's place in <see cref="Metrics"/>.</summary>
    public bool TryGetMetricSpelt(ReadOnlySpan<char> name, out MetricDefinition metric, out int ordinal)
    {
        var found = _metricsBySpelling.TryGetValue(name, out var entry);
        (metric, ordinal) = found ? entry : (null!, -1);
        return found;
    }

    /// <summary>The place of metric <paramref name="id"/> in <see cref="Metrics"/>, or -1 when the catalog has no such metric.</summary>
    public int MetricOrdinal(string id) => _metricOrdinals.TryGetValue(id, out var ordinal) ? ordinal : -1;

    /// <summary>An entity that must exist.</summary>
    public CatalogEntity Entity(string id) => _entities[id];

    /// <summary>A metric that must exist.</summary>
    public MetricDefinition Metric(string id) => _metrics[id];

    /// <summary>
    /// The entities an entity reports to. A unit reports to its locality, its department and its
    /// projects; every other entity but the province reports to the province.
    /// </summary>
    public ImmutableArray<string> ParentsOf(string id) => _parents[id];

    /// <summary>The entities that report to <paramref name="id"/>.</summary>
    public ImmutableArray<string> ChildrenOf(string id) => _children[id];

    /// <summary>The entities whose roll-ups the province combines: the localities, which partition the units.</summary>
    public IEnumerable<string> RollupSourcesOf(string id) =>
        _entities[id].Kind == EntityKind.Province ? _children[id].Where(c => _entities[c].IsLocality) : _children[id];

    /// <summary>Every unit at or below <paramref name="id"/>.</summary>
    public FrozenSet<string> UnitsUnder(string id) => _unitsUnder[id];

    /// <summary>Reads and validates a catalog file.</summary>
    /// <exception cref="CatalogException">The file is missing or an entry is invalid; the message names it.</exception>
    public static Catalog Load(string path)
    {
        if (!File.Exists(path))
            throw new CatalogException($"Catalog file '{path}' does not exist.");
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    /// <summary>Parses and validates a catalog document.</summary>
    /// <exception cref="CatalogException">An entry is invalid; the message names it.</exception>
    public static Catalog Parse(Stream json, string source = "catalog")
    {
        CatalogDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, CatalogJsonContext.Default.CatalogDocument);
        }
        catch (JsonException ex)
        {
            throw new CatalogException($"{source}: invalid JSON at {ex.Path} (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
        if (doc is null)
            throw new CatalogException($"{source}: the document is empty.");
        Validate(doc, source);
        return new Catalog(doc.Entities, doc.Metrics);
    }

    private static void Validate(CatalogDocument doc, string source)
    {
        void Fail(string what) => throw new CatalogException($"{source}: {what}");
        // What a metric and an entity alike must have: an id that is a slug, used once, and a display name.
        string Named(string kind, int index, string id, string name, HashSet<string> seen)
        {
            var where = $"{kind} #{index} '{id}'";
            if (!IsSlug(id)) Fail($"{where}: id must be a lower-case ASCII slug.");
            if (!seen.Add(id)) Fail($"{where}: duplicate {kind} id.");
            if (string.IsNullOrWhiteSpace(name)) Fail($"{where}: a display name is required.");
            return where;
        }

        var metrics = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Metrics.Count; i++)
        {
            var m = doc.Metrics[i];
            var where = Named("metric", i, m.Id, m.Name, metrics);
            if (m.Interval <= TimeSpan.Zero) Fail($"{where}: the reporting interval must be positive.");
            if (m.Target is { } t && !double.IsFinite(t.Value)) Fail($"{where}: the target must be a finite number.");
            if (m.Thresholds?.Problem() is { } problem) Fail($"{where}: thresholds: {problem}.");
        }

        var entities = new Dictionary<string, CatalogEntity>(StringComparer.Ordinal);
        foreach (var e in doc.Entities)
            entities.TryAdd(e.Id ?? "", e);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var provinces = 0;
        for (var i = 0; i < doc.Entities.Count; i++)
        {
            var e = doc.Entities[i];
            var where = Named("entity", i, e.Id, e.Name, seen);
            if (e.Kind == EntityKind.Province) provinces++;
            if (e.Kind != EntityKind.Unit)
            {
                if (e.Locality is not null || e.Department is not null || !e.Projects.IsDefaultOrEmpty || !e.Metrics.IsDefaultOrEmpty)
                    Fail($"{where}: only units have a locality, a department, projects or metrics.");
                continue;
            }
            if (e.Locality is null) Fail($"{where}: a unit needs exactly one locality.");
            if (!entities.TryGetValue(e.Locality!, out var loc) || !loc.IsLocality)
                Fail($"{where}: locality '{e.Locality}' is not a city, town or district in the catalog.");
            if (e.Department is { } dep && (!entities.TryGetValue(dep, out var d) || d.Kind != EntityKind.Department))
                Fail($"{where}: department '{dep}' is not a department in the catalog.");
            foreach (var p in e.Projects.IsDefault ? [] : e.Projects)
                if (!entities.TryGetValue(p, out var proj) || proj.Kind != EntityKind.Project)
                    Fail($"{where}: project '{p}' is not a project in the catalog.");
            if (e.Metrics.IsDefaultOrEmpty) Fail($"{where}: a unit must report at least one metric.");
            foreach (var m in e.Metrics)
                if (!metrics.Contains(m)) Fail($"{where}: metric '{m}' is not in the catalog.");
        }
        if (provinces != 1) Fail($"there must be exactly one province, found {provinces}.");
    }

    private static bool IsSlug(string? s) =>
        !string.IsNullOrEmpty(s) && s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}

/// <summary>The catalog is missing or invalid.</summary>
public sealed class CatalogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The catalog file's shape.</summary>
public sealed class CatalogDocument
{
    /// <summary>Every metric.</summary>
    public List<MetricDefinition> Metrics { get; set; } = [];
    /// <summary>Every entity.</summary>
    public List<CatalogEntity> Entities { get; set; } = [];
}

// Enums are named as strings here as in the API (ServiceDefaults' JSON options), so that no type needs a JSON attribute.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CatalogDocument))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
