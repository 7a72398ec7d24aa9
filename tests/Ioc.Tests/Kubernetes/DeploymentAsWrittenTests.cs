using System.Net.Http.Headers;
using Ioc.Tests.Cluster;
using Ioc.Tests.Storage;

namespace Ioc.Tests.Kubernetes;

/// <summary>
/// The production overlay run as written, without Kubernetes: Silo ×2, Gateway and Ingest as processes with exactly
/// the environment the overlay gives their containers, against PostgreSQL and VictoriaMetrics on loopback. Only
/// addresses and paths are remapped: each volume mount is a folder of its own that survives a restart, and each
/// container's own file system (its working folder) is wiped when it restarts.
/// </summary>
public sealed class DeploymentAsWrittenTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Points_acknowledged_while_the_store_is_down_survive_a_kill_of_the_ingest_and_a_wiped_container()
    {
        postgres.Require();
        await using var vm = await VictoriaMetrics.Run(Cancel);
        // No schema applied beforehand: the silos create it, as the manifests expect.
        var database = await postgres.CreateDatabaseAsync("deploy");
        var containers = OverlayContainer.All(await ManifestTests.Render("production")).ToDictionary(c => c.Host);
        var folders = new List<string>();
        var processes = new List<HubProcess>();
        string Folder(string name)
        {
            var folder = Directory.CreateTempSubdirectory($"ioc-deploy-{name}-").FullName;
            folders.Add(folder);
            return folder;
        }
        try
        {
            var volume = Folder("ingest-volume");
            var ingestRoot = Folder("ingest-root");
            async Task<HubProcess> Start(string host, string name, string root, IReadOnlyDictionary<string, string>? remap = null)
            {
                var port = FreePort.Next();
                var environment = new Dictionary<string, string>(containers[host].Environment)
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["Urls"] = $"http://127.0.0.1:{port}",
                    ["ConnectionStrings__Orleans"] = postgres.ConnectionString(database),
                    ["TimeSeries__Url"] = vm.Url,
                    // The collector is an address too; nothing listens there, as nothing may in a test.
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{FreePort.Next()}",
                };
                foreach (var (key, value) in remap ?? new Dictionary<string, string>()) environment[key] = value;
                var role = Enum.Parse<HubRole>(host, ignoreCase: true);
                var process = await HubProcess.StartAsync(role, name, port, environment, StartTimeout, root);
                processes.Add(process);
                return process;
            }
            IReadOnlyDictionary<string, string> Silo(string name) => new Dictionary<string, string>
            {
                ["Cluster__SiloPort"] = FreePort.Next().ToString(),
                ["Cluster__GatewayPort"] = FreePort.Next().ToString(),
                ["Cluster__AdvertisedAddress"] = "127.0.0.1",
                ["Cluster__SiloName"] = name,
            };
            IReadOnlyDictionary<string, string> Ingest() => new Dictionary<string, string> { ["Storage__DataDirectory"] = volume };

            var siloRoot = Folder("silo-root");
            File.Copy(Path.Combine(Repository.Root, "src", "Silo", "appsettings.json"), Path.Combine(siloRoot, "appsettings.json"));
            await Task.WhenAll(Start("silo", "silo-1", siloRoot, Silo("silo-1")), Start("silo", "silo-2", siloRoot, Silo("silo-2")));
            var gateway = await Start("gateway", "gateway-1", Folder("gateway-root"));
            var ingest = await Start("ingest", "ingest-0", ingestRoot, Ingest());

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var ready = await http.GetFromJsonAsync<JsonElement>(new Uri(gateway.BaseAddress, "/health/ready"), Cancel);
            Assert.Equal("catalog loaded; client connected; screen path warmed", ready.GetProperty("checks").GetProperty("ready").GetProperty("description").GetString());

            // A unit token, made as an operator would: through the admin API with a token signed by the Secret's key.
            var admin = DevTokens.Issue(new HubAuthOptions { SigningKey = containers["ingest"].Environment["Auth__SigningKey"] }, HubRoles.Admin, "deploy-test", TimeSpan.FromHours(1));
            string[] units = ["van-lam-air-1", "yen-my-air-1", "tp-hung-yen-air-1"];
            using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(ingest.BaseAddress, "/api/v1/admin/tokens"))
            {
                Content = JsonContent.Create(new { name = "deployment test", scope = units }),
            };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using var created = await http.SendAsync(create, Cancel);
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Cancel));
            var secret = (await created.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("secret").GetString()!;

            // The store goes down; the ingest acknowledges points into its buffer on the volume.
            await vm.Stop(Cancel);
            var start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds());
            var points = Enumerable.Range(0, 300).Select(i => new Pushed(units[i % 3], "pm25", Math.Round(10 + i * 0.25, 2), start.AddMilliseconds(i * 11))).ToList();
            using var unitClient = new HttpClient { BaseAddress = ingest.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            unitClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", secret);
            await StorageScenario.Push(unitClient, points, 25, Cancel);

            // The buffer is on the volume, not in the container's own folder that is about to go.
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(volume, "buffer")));
            Assert.False(Directory.Exists(Path.Combine(ingestRoot, "data")), "the ingest wrote data outside its volume");

            // kill -9, the container's own file system gone, a new container on the same volume.
            ingest.Kill();
            Directory.Delete(ingestRoot, recursive: true);
            Directory.CreateDirectory(ingestRoot);
            await Start("ingest", "ingest-0-restarted", ingestRoot, Ingest());
            await vm.Start(Cancel);

            // The restarted ingest drains on its own schedule (it backs off while the store was down), and a
            // separate process offers no signal for it: wait, bounded, for the store to hold every point.
            using (var drained = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
            {
                drained.CancelAfter(TimeSpan.FromSeconds(300));
                while ((await vm.Export("{__name__=\"telemetry_pm25\"}", drained.Token)).Count < points.Count)
                    await Task.Delay(TimeSpan.FromMilliseconds(500), drained.Token);
            }
            var stored = (await vm.Export("{__name__=\"telemetry_pm25\"}", Cancel))
                .Select(s => (s.Labels["unit"], s.TimestampMs, s.Value)).ToHashSet();
            var missing = points.Where(p => !stored.Contains((p.Unit, p.Ts.ToUnixTimeMilliseconds(), p.Value))).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {points.Count} acknowledged points are not stored, such as {missing.FirstOrDefault()}");
        }
        catch (Exception) when (Diagnose(processes))
        {
            throw;
        }
        finally
        {
            await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
            foreach (var folder in folders.Where(Directory.Exists)) Directory.Delete(folder, recursive: true);
        }
    }

    private static bool Diagnose(IEnumerable<HubProcess> processes)
    {
        foreach (var p in processes)
            TestContext.Current.SendDiagnosticMessage($"===== {p.Name}{(p.HasExited ? " (exited)" : "")} =====\n{p.Output}");
        return false;
    }
}
