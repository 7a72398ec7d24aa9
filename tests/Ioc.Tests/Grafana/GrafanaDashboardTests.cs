using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Ioc.Tests.Storage;
using Microsoft.AspNetCore.SignalR.Client;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Ioc.Tests.Grafana;

/// <summary>
/// The Grafana provisioning files in <c>deploy/grafana/provisioning</c>: the data sources parse and name the types
/// Grafana expects, and every dashboard query and template variable returns series from a VictoriaMetrics that
/// holds what the hub really writes (telemetry pushed through the ingest API) and what it really exposes about
/// itself (its <c>/metrics</c> scrapes).
/// </summary>
[Collection(Isolated)]
public sealed partial class GrafanaDashboardTests
{
    /// <summary>
    /// OpenTelemetry subscribes to meters by name, so the hub's scrape also gathers other hubs' instruments in this
    /// process, and drops an instrument's series when another hub that shares it is disposed. A hub in production has
    /// its process to itself; here no other test runs beside this class.
    /// </summary>
    public const string Isolated = "Grafana dashboards, alone in the process";

    private const string VictoriaMetricsUid = "ioc-victoriametrics";
    private const string InfluxDbUid = "ioc-influxdb";

    /// <summary>Where Grafana reads provisioning files; the repository's folder is mounted there.</summary>
    private const string GrafanaProvisioning = "/etc/grafana/provisioning";

    private static readonly string[] ExpectedDashboards = ["ioc-province", "ioc-locality", "ioc-unit", "ioc-hub-health"];

    /// <summary>What Grafana puts for its built-in intervals: the scrape interval floor, and the ranges a panel shows.</summary>
    private static readonly Dictionary<string, string> BuiltIns = new(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "5m",
        ["__interval"] = "1m",
        ["__range"] = "1h",
    };

    private static string Provisioning => Path.Combine(Repository.Root, "deploy", "grafana", "provisioning");

    [Fact]
    public void The_data_sources_are_VictoriaMetrics_as_Prometheus_and_InfluxDB_in_Flux()
    {
        var file = ReadYaml<ProvisioningFile>(Path.Combine(Provisioning, "datasources", "ioc-hub.yaml"));

        Assert.Equal(1, file.ApiVersion);
        var vm = Assert.Single(file.Datasources, d => d.Uid == VictoriaMetricsUid);
        Assert.Equal("prometheus", vm.Type);
        Assert.Equal("proxy", vm.Access);
        Assert.True(Uri.TryCreate(vm.Url, UriKind.Absolute, out _), $"'{vm.Url}' is not an absolute URL");
        Assert.True(vm.IsDefault);

        var influx = Assert.Single(file.Datasources, d => d.Uid == InfluxDbUid);
        Assert.Equal("influxdb", influx.Type);
        Assert.Equal("Flux", influx.JsonData["version"]);
        Assert.False(string.IsNullOrWhiteSpace(influx.JsonData["organization"]));
        Assert.False(string.IsNullOrWhiteSpace(influx.JsonData["defaultBucket"]));
        Assert.False(string.IsNullOrWhiteSpace(influx.SecureJsonData["token"]));
        Assert.Equal(file.Datasources.Count, file.Datasources.Select(d => d.Name).Distinct().Count());
    }

    [Fact]
    public void The_dashboard_provider_loads_the_four_dashboards_and_each_panel_queries_a_provisioned_data_source()
    {
        var provider = Assert.Single(ReadYaml<ProvisioningFile>(Path.Combine(Provisioning, "dashboards", "ioc-hub.yaml")).Providers);
        Assert.Equal("file", provider.Type);
        var path = provider.Options["path"];
        Assert.StartsWith(GrafanaProvisioning + "/", path, StringComparison.Ordinal);
        var folder = Path.Combine(Provisioning, path[(GrafanaProvisioning.Length + 1)..]);
        Assert.True(Directory.Exists(folder), $"the provider reads {path}, which is {folder} in the repository, and it does not exist");

        var dashboards = Dashboards(folder);
        Assert.Equal(ExpectedDashboards.Order(), dashboards.Select(d => d.Uid).Order());
        foreach (var dashboard in dashboards)
        {
            Assert.NotEmpty(dashboard.Panels);
            Assert.All(dashboard.Variables, v => Assert.Equal(VictoriaMetricsUid, v.DataSource));
            foreach (var panel in dashboard.Panels)
            {
                Assert.True(panel.Targets.Count > 0, $"{dashboard.Uid}: panel '{panel.Title}' has no query");
                Assert.Equal(VictoriaMetricsUid, panel.DataSource);
                Assert.All(panel.Targets, t => Assert.Equal(VictoriaMetricsUid, t.DataSource));
            }
        }
    }

    [Fact]
    public async Task The_scrape_configuration_passes_VictoriaMetrics_own_check()
    {
        Repository.Require(VictoriaMetrics.Binary, "victoria-metrics");
        await Repository.Run(VictoriaMetrics.Binary,
            [$"-promscrape.config={Path.Combine(Repository.Root, "deploy", "grafana", "promscrape.yaml")}", "-promscrape.config.dryRun", "-loggerLevel=ERROR"],
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Without_Prometheus_scraping_turned_on_the_hub_serves_no_metrics_endpoint()
    {
        using var hub = new HubFactory();
        using var response = await hub.CreateClient().GetAsync("/metrics", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Every_dashboard_query_and_variable_returns_series_from_VictoriaMetrics_holding_the_hubs_real_output()
    {
        await using var vm = await VictoriaMetrics.Run(Cancel);
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings["Observability:PrometheusScraping"] = "true";
        await using var hub = new StorageHub(settings);
        var catalog = hub.Services.GetRequiredService<Contracts.Catalog>();
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var units = hub.CreateUnitClient();

        // A screen watching the wall while the hub is scraped, for the health dashboard's screens panel.
        await using var screen = hub.CreateLiveConnection();
        await screen.StartAsync(Cancel);

        // Every unit reports each of its catalog metrics twice, so that every locality, unit and metric a
        // variable can offer has points, and rate-style panels have two samples in their window.
        using var recorded = new Recorded(hub.Services);
        var batch = EveryUnitMetric(catalog, now.AddMinutes(-10));
        var requests = batch.Chunk(PerRequest).Count();
        await StorageScenario.Push(units, batch, PerRequest, Cancel);
        // Refused pushes, for the refused-requests panel: an unknown unit (400) and a wrong token (401).
        using (var unknown = await StorageScenario.Post(units, [new Pushed("no-such-unit", "pm25", 1, now.AddMinutes(-5))], Cancel))
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using (var wrongToken = await StorageScenario.Post(hub.CreateUnitClient("not-a-token"), [new Pushed("van-lam-air-1", "pm25", 1, now.AddMinutes(-5))], Cancel))
            Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        // A request is counted just after its answer and a write just after the store confirms it: scrape only
        // once the meters have them.
        await recorded.Until(ingestRequests: requests + 2, writtenPoints: batch.Count);
        var firstScrape = await hub.CreateClient().GetStringAsync("/metrics", Cancel);

        await StorageScenario.Push(units, EveryUnitMetric(catalog, now.AddMinutes(-2)), PerRequest, Cancel);
        await recorded.Until(ingestRequests: 2 * requests + 2, writtenPoints: 2 * batch.Count);
        var secondScrape = await hub.CreateClient().GetStringAsync("/metrics", Cancel);

        // Forwarded as a scraper (vmagent, VictoriaMetrics' -promscrape.config) stores them: a minute apart, with
        // the job and instance labels a scrape adds. Both lie before the last instant a query evaluates (VictoriaMetrics
        // may round a range's end down to its step), so that a rate over the last minutes sees two samples.
        using var http = new HttpClient { BaseAddress = new Uri(vm.Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        await Import(http, firstScrape, now.AddMinutes(-2));
        await Import(http, secondScrape, now.AddMinutes(-1));
        await vm.ForceFlush(Cancel);

        var failures = new List<string>();
        var ran = 0;
        var range = (From: now.AddHours(-1), To: now);
        foreach (var dashboard in Dashboards(Path.Combine(Provisioning, "dashboards", "ioc-hub")))
        {
            var values = new Dictionary<string, string>(BuiltIns, StringComparer.Ordinal);
            var resolved = true;
            foreach (var variable in dashboard.Variables)
            {
                var options = await VariableOptions(http, variable, values, range);
                ran++;
                if (options.Count == 0)
                {
                    failures.Add($"{dashboard.Uid}: variable ${variable.Name} ({variable.Query} with {Describe(values)}) offers nothing");
                    resolved = false;
                    break;
                }
                // Grafana selects the first option, or All where the variable has it.
                values[variable.Name] = variable.AllValue ?? options[0];
            }
            if (!resolved) continue;
            foreach (var panel in dashboard.Panels)
            {
                foreach (var target in panel.Targets)
                {
                    var expr = Substitute(target.Expr, values);
                    var (series, error) = await Query(http, expr, target.Instant, range);
                    ran++;
                    if (series == 0)
                        failures.Add($"{dashboard.Uid}: panel '{panel.Title}' query {target.RefId} returned {error ?? "no series"}: {expr}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {ran} dashboard queries failed:\n" + string.Join('\n', failures) + "\nVictoriaMetrics:\n" + vm.Log);
        Assert.True(ran >= 40, $"only {ran} queries ran");
    }

    private const int PerRequest = 100;

    /// <summary>
    /// What the hub's own meters have recorded: requests to the JSON ingest endpoint and points the store confirmed,
    /// each as a running total. The listener starts after the hub's OpenTelemetry one, which an instrument calls
    /// first, so a total seen here is already in the next scrape.
    /// </summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Signals<(string Kind, long Total)> _totals = new();
        private long _requests;
        private long _written;

        public Recorded(IServiceProvider services)
        {
            var meters = services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name is "http.server.request.duration" or "ioc.ingest.written.points")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag is { Key: "http.route", Value: "/api/v1/telemetry" })
                        _totals.Add([("requests", Interlocked.Increment(ref _requests))]);
            });
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => _totals.Add([("written", Interlocked.Add(ref _written, value))]));
            _listener.Start();
        }

        /// <summary>Returns once at least so many ingest requests and written points have been recorded.</summary>
        public async Task Until(long ingestRequests, long writtenPoints)
        {
            await _totals.First(t => t.Kind == "requests" && t.Total >= ingestRequests);
            await _totals.First(t => t.Kind == "written" && t.Total >= writtenPoints);
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>One point for each metric of each unit at <paramref name="ts"/>, with a value of its own.</summary>
    private static List<Pushed> EveryUnitMetric(Contracts.Catalog catalog, DateTimeOffset ts) =>
        [.. catalog.Entities.Where(e => e.Kind == EntityKind.Unit)
            .SelectMany(u => u.Metrics.Select(m => (Unit: u.Id, Metric: m)))
            .Select((s, i) => new Pushed(s.Unit, s.Metric, 1 + i % 50, ts))];

    private static async Task Import(HttpClient vm, string scrape, DateTimeOffset at)
    {
        var url = "api/v1/import/prometheus?extra_label=job=ioc-hub&extra_label=instance=hub-1:8080&timestamp="
            + at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var response = await vm.PostAsync(url, new StringContent(scrape), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    /// <summary>The options of a <c>label_values(selector, label)</c> variable, as Grafana would list them.</summary>
    private static async Task<List<string>> VariableOptions(
        HttpClient vm, Variable variable, Dictionary<string, string> values, (DateTimeOffset From, DateTimeOffset To) range)
    {
        var call = LabelValues().Match(variable.Query);
        Assert.True(call.Success, $"variable ${variable.Name}: '{variable.Query}' is not label_values(selector, label)");
        var query = new Dictionary<string, string>
        {
            ["match[]"] = Substitute(call.Groups["selector"].Value, values),
            ["start"] = range.From.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["end"] = range.To.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
        using var response = await vm.PostAsync($"api/v1/label/{call.Groups["label"].Value}/values", new FormUrlEncodedContent(query), Cancel);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Cancel));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var options = body.GetProperty("data").EnumerateArray().Select(v => v.GetString()!);
        if (variable.Regex is { Length: > 2 } regex)
        {
            // Grafana's regex is written /…/; the first capture group becomes the option.
            var pattern = new Regex(regex[1..^1], RegexOptions.CultureInvariant);
            options = options.Select(o => pattern.Match(o)).Where(m => m.Success).Select(m => m.Groups.Count > 1 ? m.Groups[1].Value : m.Value);
        }
        return [.. options.Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>How many series a panel query returns, or none and VictoriaMetrics' answer when it refuses the query.</summary>
    private static async Task<(int Series, string? Error)> Query(HttpClient vm, string expr, bool instant, (DateTimeOffset From, DateTimeOffset To) range)
    {
        var query = new Dictionary<string, string> { ["query"] = expr };
        if (instant)
        {
            query["time"] = range.To.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            query["start"] = range.From.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            query["end"] = range.To.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            query["step"] = "60";
        }
        using var response = await vm.PostAsync(instant ? "api/v1/query" : "api/v1/query_range", new FormUrlEncodedContent(query), Cancel);
        if (!response.IsSuccessStatusCode)
            return (0, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (body.GetProperty("data").GetProperty("result").GetArrayLength(), null);
    }

    /// <summary>Replaces <c>$name</c> and <c>${name}</c>; a variable left unknown fails the test.</summary>
    private static string Substitute(string text, Dictionary<string, string> values)
    {
        var result = VariableReference().Replace(text, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["plain"].Value;
            Assert.True(values.TryGetValue(name, out var value), $"'{text}' uses ${name}, which is not defined before it");
            return value;
        });
        return result;
    }

    private static string Describe(Dictionary<string, string> values) =>
        string.Join(", ", values.Where(v => !BuiltIns.ContainsKey(v.Key)).Select(v => $"${v.Key}={v.Value}"));

    [GeneratedRegex(@"^\s*label_values\((?<selector>.+),\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\$(?:\{(?<braced>\w+)\}|(?<plain>\w+))")]
    private static partial Regex VariableReference();

    private static T ReadYaml<T>(string path) =>
        // Strict: a misspelt key fails here instead of being ignored by Grafana.
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<T>(File.ReadAllText(path));

    private static List<Dashboard> Dashboards(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(Dashboard.Read)];

    private sealed record Dashboard(string Uid, List<Variable> Variables, List<Panel> Panels)
    {
        public static Dashboard Read(string path)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => new Variable(
                v.GetProperty("name").GetString()!,
                v.GetProperty("query") is { ValueKind: JsonValueKind.Object } q ? q.GetProperty("query").GetString()! : v.GetProperty("query").GetString()!,
                v.TryGetProperty("regex", out var regex) ? regex.GetString() : null,
                v.TryGetProperty("includeAll", out var all) && all.GetBoolean() ? v.GetProperty("allValue").GetString() : null,
                DataSourceUid(v))).ToList();
            var panels = root.GetProperty("panels").EnumerateArray().Select(p => new Panel(
                p.GetProperty("title").GetString()!,
                DataSourceUid(p),
                [.. p.GetProperty("targets").EnumerateArray().Select(t => new Target(
                    t.GetProperty("refId").GetString()!,
                    t.GetProperty("expr").GetString()!,
                    t.TryGetProperty("instant", out var instant) && instant.GetBoolean(),
                    DataSourceUid(t)))])).ToList();
            return new Dashboard(root.GetProperty("uid").GetString()!, variables, panels);
        }

        private static string? DataSourceUid(JsonElement element) =>
            element.TryGetProperty("datasource", out var ds) && ds.ValueKind == JsonValueKind.Object ? ds.GetProperty("uid").GetString() : null;
    }

    private sealed record Variable(string Name, string Query, string? Regex, string? AllValue, string? DataSource);

    private sealed record Panel(string Title, string? DataSource, List<Target> Targets);

    private sealed record Target(string RefId, string Expr, bool Instant, string? DataSource);

    /// <summary>A Grafana provisioning file: its version and the data sources or the dashboard providers it declares.</summary>
    private sealed class ProvisioningFile
    {
        public int ApiVersion { get; set; }
        public List<DataSource> Datasources { get; set; } = [];
        public List<Provider> Providers { get; set; } = [];
    }

    private sealed class DataSource
    {
        public string Name { get; set; } = "";
        public string Uid { get; set; } = "";
        public string Type { get; set; } = "";
        public string Access { get; set; } = "";
        public string Url { get; set; } = "";
        public bool IsDefault { get; set; }
        public bool Editable { get; set; }
        public Dictionary<string, string> JsonData { get; set; } = [];
        public Dictionary<string, string> SecureJsonData { get; set; } = [];
    }

    private sealed class Provider
    {
        public string Name { get; set; } = "";
        public string Folder { get; set; } = "";
        public string Type { get; set; } = "";
        public bool DisableDeletion { get; set; }
        public bool AllowUiUpdates { get; set; }
        public int UpdateIntervalSeconds { get; set; }
        public Dictionary<string, string> Options { get; set; } = [];
    }
}

/// <summary>Runs <see cref="GrafanaDashboardTests"/> with no other test beside it.</summary>
[CollectionDefinition(GrafanaDashboardTests.Isolated, DisableParallelization = true)]
public sealed class GrafanaIsolation;
