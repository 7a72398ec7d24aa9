namespace Ioc.Tests.Infrastructure;

/// <summary>The one-command hub as its own process, as the benchmark suite starts it.</summary>
public static class OneCommandProcess
{
    /// <summary>
    /// How to start it in Development over <paramref name="dataDirectory"/>, with no simulator, no MQTT listener and
    /// free ports: settings as arguments, its whole output in <paramref name="logPath"/>, ready once
    /// <c>/health/ready</c> answers 200, and stopped with SIGTERM.
    /// </summary>
    public static HubStart Start(string dataDirectory, string logPath) => new(HubRole.Silo, "hub")
    {
        Arguments =
        [
            "--Simulator:Enabled=false", "--Mqtt:Enabled=false", $"--Storage:DataDirectory={dataDirectory}",
            $"--Cluster:SiloPort={FreePort.Next()}", $"--Cluster:GatewayPort={FreePort.Next()}",
        ],
        Environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" },
        LogPath = logPath,
        ReadyPath = "/health/ready",
        StopGracefully = true,
    };
}
