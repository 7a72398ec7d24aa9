using k8s.Models;

namespace Ioc.Tests.Kubernetes;

/// <summary>
/// Each container of each overlay, started as far as a container gets before it talks to anything, with exactly
/// the environment the overlay gives it: every key must bind to something and every combination must pass the
/// host's own start-up validation. This is where a ConfigMap that could never start, or a setting nothing reads,
/// is found before an operator deploys it.
/// </summary>
public sealed class OverlayEnvironmentTests
{
    private static async Task<List<OverlayContainer>> Containers(string overlay) => [.. OverlayContainer.All(await ManifestTests.Render(overlay))];

    [Theory]
    [MemberData(nameof(ManifestTests.Overlays), MemberType = typeof(ManifestTests))]
    public async Task Every_container_starts_with_the_environment_its_overlay_gives_it_and_every_key_binds_to_something(string overlay)
    {
        var containers = await Containers(overlay);
        Assert.Equal(["gateway", "ingest", "silo"], containers.Select(c => c.Host).Order());
        foreach (var container in containers)
        {
            OverlayContainer.Started started;
            try
            {
                started = await container.Start();
            }
            catch (Exception e)
            {
                Assert.Fail($"{overlay}: {container.Owner} does not start with its environment: {e.Message}");
                throw;
            }
            Assert.True(!container.Unbound(started).Any(), $"{overlay}: {container.Owner} sets keys that bind to nothing: {string.Join(", ", container.Unbound(started))}");
            // Production logs a line per failure, not per request, per outgoing call or per successful attempt.
            Assert.True(started.Chatty.Count == 0, $"{overlay}: {container.Owner} logs at Information from {string.Join(", ", started.Chatty)}");
        }
    }

    [Theory]
    [InlineData("TimeSeries__Ur1", "Ur1")]
    [InlineData("Ingest__BufferDirectory", "BufferDirectory")]
    [InlineData("Cluster__Membership__ProbeTimeout", null)]
    public async Task A_misspelt_or_stale_key_in_a_hub_section_stops_start_up_naming_it(string key, string? named)
    {
        var ingest = (await Containers("production")).Single(c => c.Host == "ingest");
        if (named is null)
        {
            // Known to the section: Orleans' membership timings, which only silos read.
            await ingest.Start(new Dictionary<string, string> { [key] = "00:00:05" });
            return;
        }
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ingest.Start(new Dictionary<string, string> { [key] = "/var/lib/ioc/buffer" }));
        Assert.Contains(named, error.Message);
        Assert.Contains($"'{key.Split("__")[0]}'", error.Message);
    }

    [Fact]
    public async Task A_key_outside_every_section_is_reported_as_binding_to_nothing()
    {
        var gateway = (await Containers("production")).Single(c => c.Host == "gateway");
        var misspelt = gateway with { Environment = new Dictionary<string, string>(gateway.Environment) { ["TimeSeris__Url"] = "http://vm:8428" } };
        var started = await misspelt.Start();
        Assert.Equal(["TimeSeris__Url"], misspelt.Unbound(started));
    }

    [Fact]
    public async Task The_time_series_server_with_a_url_but_no_server_kind_stops_start_up()
    {
        // The combination the first manifests shipped: every pod stopped at start-up.
        var silo = (await Containers("small")).Single(c => c.Host == "silo");
        var environment = new Dictionary<string, string>(silo.Environment);
        environment.Remove("TimeSeries__Server");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => (silo with { Environment = environment }).Start());
        Assert.Contains("TimeSeries:Server is Embedded", error.Message);
    }

    [Theory]
    [MemberData(nameof(ManifestTests.Overlays), MemberType = typeof(ManifestTests))]
    public async Task Ingest_keeps_its_data_directory_and_so_its_buffer_on_its_own_volume(string overlay)
    {
        var objects = await ManifestTests.Render(overlay);
        var ingest = Assert.Single(objects.OfType<V1StatefulSet>());
        var claim = Assert.Single(ingest.Spec.VolumeClaimTemplates);
        var mount = Assert.Single(ingest.Spec.Template.Spec.Containers.Single().VolumeMounts, m => m.Name == claim.Metadata.Name);
        var started = await OverlayContainer.All(objects).Single(c => c.Host == "ingest").Start();
        // The buffer and the dead letters live under the data directory, as the host resolves it.
        Assert.Equal(mount.MountPath.TrimEnd('/'), started.DataDirectory.TrimEnd('/'));
    }

    [Theory]
    [MemberData(nameof(ManifestTests.Overlays), MemberType = typeof(ManifestTests))]
    public async Task The_Ingress_sends_every_path_to_the_host_that_maps_it(string overlay)
    {
        var objects = await ManifestTests.Render(overlay);
        var ingress = Assert.Single(objects.OfType<V1Ingress>());
        var rules = ingress.Spec.Rules.SelectMany(r => r.Http.Paths).ToList();
        Assert.All(rules, r => Assert.Equal("Prefix", r.PathType));
        var services = new Dictionary<string, string> { ["gateway"] = "ioc-gateway", ["ingest"] = "ioc-ingest" };
        var routes = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var container in OverlayContainer.All(objects).Where(c => services.ContainsKey(c.Host)))
            routes[container.Host] = (await container.Start()).Routes;
        // Paths both hosts map (health) are answered by every pod, whichever the Ingress picks.
        var everywhere = routes.Values.Select(r => r.ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; });

        var wrong = new List<string>();
        foreach (var (host, patterns) in routes)
        {
            foreach (var pattern in patterns.Where(p => !everywhere.Contains(p)))
            {
                var path = Sample(pattern);
                // nginx picks the longest Prefix that matches whole path segments.
                var rule = rules.Where(r => r.Path == "/" || path == r.Path || path.StartsWith(r.Path.TrimEnd('/') + "/", StringComparison.Ordinal))
                    .MaxBy(r => r.Path.Length);
                if (rule?.Backend.Service.Name != services[host])
                    wrong.Add($"{pattern} (mapped by {host}) goes to {rule?.Backend.Service.Name ?? "nothing"}");
            }
        }
        Assert.True(wrong.Count == 0, $"{overlay}: the Ingress misroutes {string.Join("; ", wrong)}");
        Assert.Contains(routes["ingest"], p => p.StartsWith("/api/v2/write", StringComparison.Ordinal));
        Assert.Contains(routes["ingest"], p => p.StartsWith("/api/v1/admin/tokens", StringComparison.Ordinal));
    }

    /// <summary>A concrete path a route pattern matches: parameters become a segment of their own.</summary>
    private static string Sample(string pattern) =>
        "/" + string.Join('/', pattern.Trim('/').Split('/').Select(s => s.Contains('{') ? "x" : s));
}
