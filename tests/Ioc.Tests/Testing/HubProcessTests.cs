using System.Net;

namespace Ioc.Tests.Testing;

/// <summary>
/// The testing library's hub process as the benchmark suite starts it: settings as arguments, its whole output in
/// a log file, ready once <c>/health/ready</c> answers 200, and stopped with SIGTERM.
/// </summary>
public sealed class HubProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hub_started_with_arguments_is_ready_when_its_readiness_probe_answers_logs_to_its_file_and_stops_cleanly_on_SIGTERM()
    {
        var work = Directory.CreateTempSubdirectory("ioc-hubprocess-");
        try
        {
            var log = Path.Combine(work.FullName, "logs", "hub.log");
            await using var hub = await HubProcess.StartAsync(new HubStart(HubRole.Silo, "hub")
            {
                Arguments =
                [
                    "--Simulator:Enabled=false", "--Mqtt:Enabled=false", $"--Storage:DataDirectory={work.FullName}",
                    $"--Cluster:SiloPort={FreePort.Next()}", $"--Cluster:GatewayPort={FreePort.Next()}",
                ],
                Environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" },
                LogPath = log,
                ReadyPath = "/health/ready",
                StopGracefully = true,
            }, Ct);

            using var client = hub.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", Ct)).StatusCode);
            Assert.True(hub.StartTime > TimeSpan.Zero);
            Assert.Equal(0, await hub.StopAsync(TimeSpan.FromMinutes(1)));
            using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var written = await reader.ReadToEndAsync(Ct);
            Assert.StartsWith("# ", written);
            Assert.Contains("Application started", written);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
