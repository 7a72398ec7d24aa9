using k8s;
using k8s.Models;

namespace Ioc.Tests.Kubernetes;

/// <summary>
/// Renders every overlay in <c>k8s/overlays</c> with <c>kubectl kustomize</c> (offline) and parses each object
/// strictly, so a misspelt or misplaced field fails here rather than in the cluster.
/// </summary>
public sealed class ManifestTests
{
    private const string Kubectl = "/usr/bin/kubectl";

    public static TheoryData<string> Overlays() =>
        [.. Directory.GetDirectories(Path.Combine(Repository.Root, "k8s", "overlays")).Select(d => Path.GetFileName(d)!).Order()];

    internal static async Task<IReadOnlyList<object>> Render(string overlay)
    {
        Repository.Require(Kubectl, "kubectl");
        var yaml = await Repository.Run(Kubectl, ["kustomize", Path.Combine(Repository.Root, "k8s", "overlays", overlay)], TimeSpan.FromSeconds(60));
        return KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);
    }

    internal static IEnumerable<(string Owner, V1PodSpec Pod, V1ObjectMeta Template)> PodSpecs(IEnumerable<object> objects) =>
        objects.SelectMany<object, (string, V1PodSpec, V1ObjectMeta)>(o => o switch
        {
            V1Deployment d => [($"Deployment/{d.Metadata.Name}", d.Spec.Template.Spec, d.Spec.Template.Metadata)],
            V1StatefulSet s => [($"StatefulSet/{s.Metadata.Name}", s.Spec.Template.Spec, s.Spec.Template.Metadata)],
            V1DaemonSet ds => [($"DaemonSet/{ds.Metadata.Name}", ds.Spec.Template.Spec, ds.Spec.Template.Metadata)],
            _ => [],
        });

    private static V1Deployment Silo(IEnumerable<object> objects) => objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "ioc-silo");

    [Fact]
    public void An_unknown_field_fails_strict_parsing()
    {
        const string misspelt = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  selectr:\n    app: x\n";
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(misspelt, typeMap: null, strict: true));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_container_has_probes_and_resource_requests(string overlay)
    {
        var objects = await Render(overlay);
        var pods = PodSpecs(objects).ToList();
        Assert.Equal(3, pods.Count);
        foreach (var (owner, pod, _) in pods)
        {
            foreach (var c in pod.Containers.Concat(pod.InitContainers ?? []))
            {
                var where = $"{overlay}: {owner} container {c.Name}";
                Assert.True(c.ReadinessProbe is not null, $"{where} has no readiness probe");
                Assert.True(c.LivenessProbe is not null, $"{where} has no liveness probe");
                Assert.True(c.Resources?.Requests?.ContainsKey("cpu") == true, $"{where} requests no CPU");
                Assert.True(c.Resources?.Requests?.ContainsKey("memory") == true, $"{where} requests no memory");
                Assert.Equal("/health/ready", c.ReadinessProbe!.HttpGet?.Path);
                Assert.Equal("/health/live", c.LivenessProbe!.HttpGet?.Path);
            }
            Assert.True(pod.SecurityContext?.RunAsNonRoot == true, $"{overlay}: {owner} may run as root");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Silos_carry_the_Orleans_labels_and_learn_their_pod_name_and_IP_from_the_downward_API(string overlay)
    {
        var objects = await Render(overlay);
        var silo = Silo(objects);
        var config = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "ioc-hub-config").Data;
        var labels = silo.Spec.Template.Metadata.Labels;
        Assert.Equal(config["Cluster__ServiceId"], labels["orleans/serviceId"]);
        Assert.Equal(config["Cluster__ClusterId"], labels["orleans/clusterId"]);
        Assert.Equal("Postgres", config["Cluster__Mode"]);

        var container = Assert.Single(silo.Spec.Template.Spec.Containers);
        var env = container.Env.ToDictionary(e => e.Name);
        Assert.Equal("status.podIP", env["POD_IP"].ValueFrom?.FieldRef?.FieldPath);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom?.FieldRef?.FieldPath);
        Assert.NotNull(container.StartupProbe);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task A_silo_advertises_its_pod_IP_and_never_a_Service_IP(string overlay)
    {
        var objects = await Render(overlay);
        var pod = Silo(objects).Spec.Template.Spec;
        var env = pod.Containers.Single().Env;
        // Variables may refer only to earlier ones, so POD_IP must come before the address that uses it.
        var podIp = env.ToList().FindIndex(e => e.Name == "POD_IP");
        var advertised = env.ToList().FindIndex(e => e.Name == "Cluster__AdvertisedAddress");
        Assert.InRange(podIp, 0, advertised - 1);
        Assert.Equal("$(POD_IP)", env[advertised].Value);
        // Without service links no *_SERVICE_HOST variable (a Service IP) is even in the silo's environment.
        Assert.False(pod.EnableServiceLinks ?? true);
        var config = objects.OfType<V1ConfigMap>().SelectMany(c => c.Data);
        Assert.DoesNotContain(config, kv => kv.Key.Contains("AdvertisedAddress", StringComparison.OrdinalIgnoreCase));
        // Silos have no Service at all: clients find them through the membership table.
        Assert.DoesNotContain(objects.OfType<V1Service>(), s => s.Spec.Selector is { } selector && selector.TryGetValue("app.kubernetes.io/name", out var name) && name == "ioc-silo");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Silos_roll_without_losing_capacity_drain_within_their_grace_period_and_have_no_CPU_limit(string overlay)
    {
        var objects = await Render(overlay);
        var silo = Silo(objects);
        Assert.Equal("0", silo.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        var drain = TimeSpan.Parse(objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "ioc-hub-config").Data["Cluster__ShutdownTimeout"]);
        foreach (var (owner, pod, _) in PodSpecs(objects))
            Assert.True(pod.TerminationGracePeriodSeconds > drain.TotalSeconds, $"{overlay}: {owner} is killed before it can drain ({drain})");
        foreach (var c in silo.Spec.Template.Spec.Containers)
            Assert.False(c.Resources.Limits?.ContainsKey("cpu") ?? false, $"{overlay}: silo container {c.Name} has a CPU limit");
        var budget = Assert.Single(objects.OfType<V1PodDisruptionBudget>(), p => p.Metadata.Name == "ioc-silo");
        Assert.All(budget.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, silo.Spec.Template.Metadata.Labels[l.Key]));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Ingest_has_a_volume_of_its_own_and_gateways_sit_behind_a_sticky_Ingress(string overlay)
    {
        // That the ingest's data directory (and so its buffer) is that volume, as the host resolves it, is
        // OverlayEnvironmentTests' to check: comparing a setting with a mount path says nothing of what reads it.
        var objects = await Render(overlay);
        var ingest = Assert.Single(objects.OfType<V1StatefulSet>());
        var claim = Assert.Single(ingest.Spec.VolumeClaimTemplates);
        Assert.Single(ingest.Spec.Template.Spec.Containers.Single().VolumeMounts, m => m.Name == claim.Metadata.Name);

        var ingress = Assert.Single(objects.OfType<V1Ingress>());
        Assert.Equal("cookie", ingress.Metadata.Annotations["nginx.ingress.kubernetes.io/affinity"]);
        var backends = ingress.Spec.Rules.SelectMany(r => r.Http.Paths).Select(p => p.Backend.Service.Name).ToHashSet();
        Assert.Equal(["ioc-gateway", "ioc-ingest"], backends.Order());
        Assert.All(backends, b => Assert.Contains(objects.OfType<V1Service>(), s => s.Metadata.Name == b));

        var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "ioc-hub-secrets").StringData;
        Assert.Superset(new HashSet<string> { "ConnectionStrings__Orleans", "Auth__SigningKey", "TimeSeries__Token" }, secret.Keys.ToHashSet());
        Assert.DoesNotContain(objects, o => o is V1Role or V1ClusterRole or V1RoleBinding or V1ClusterRoleBinding);
    }

    [Theory]
    [InlineData("small", 1, 1, 1)]
    [InlineData("production", 3, 2, 2)]
    [InlineData("production-vmcluster", 3, 2, 2)]
    public async Task Each_overlay_runs_its_number_of_silos_gateways_and_ingest_pods(string overlay, int silos, int gateways, int ingest)
    {
        var objects = await Render(overlay);
        Assert.Equal(silos, Silo(objects).Spec.Replicas);
        Assert.Equal(gateways, objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "ioc-gateway").Spec.Replicas);
        Assert.Equal(ingest, objects.OfType<V1StatefulSet>().Single().Spec.Replicas);
    }
}
