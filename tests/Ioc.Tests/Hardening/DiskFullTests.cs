using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Ioc.Tests.Hardening;

/// <summary>
/// A full disk under the write-ahead buffer, made without filling one: the disk's reserve
/// (<c>Buffer:MinFreeDiskBytes</c>) is raised past what any disk has free, then lowered again, through
/// configuration that reloads while the hub runs, as an operator's change would.
/// </summary>
public sealed class DiskFullTests(DiskFullTests.Hub hub) : IClassFixture<DiskFullTests.Hub>
{
    /// <summary>The hub with configuration the test can change while it runs.</summary>
    public sealed class Hub : HubFactory
    {
        public LiveSettings Live { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureAppConfiguration(c => c.Add(Live));
        }
    }

    /// <summary>A configuration source whose values change, and reload, on demand.</summary>
    public sealed class LiveSettings : ConfigurationProvider, IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

        public void Change(string key, string value)
        {
            Set(key, value);
            OnReload();
        }
    }

    private Task<HttpResponseMessage> Push(double value) =>
        hub.CreateUnitClient().PostAsync("/api/v1/telemetry", new StringContent(
            $$"""{"points":[{"unit":"kim-dong-air-1","metric":"pm25","value":{{value}}}]}""", Encoding.UTF8, "application/json"), Cancel);

    private async Task<JsonElement> BufferReadiness()
    {
        var ready = await hub.CreateClient().GetFromJsonAsync<JsonElement>("/health/ready", Cancel);
        return ready.GetProperty("checks").GetProperty("time-series");
    }

    [Fact]
    public async Task A_full_disk_is_a_503_naming_the_disk_is_shown_in_readiness_and_passes_when_space_returns()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Push(1)).StatusCode);
        Assert.Empty((await BufferReadiness()).GetProperty("data").GetProperty("exhausted").EnumerateArray());

        hub.Live.Change("Buffer:MinFreeDiskBytes", long.MaxValue.ToString());
        var refused = await Push(2);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Contains("the disk of the write-ahead buffer has", problem.GetProperty("detail").GetString());

        var full = await BufferReadiness();
        Assert.Equal("Degraded", full.GetProperty("status").GetString());
        Assert.Contains("disk", full.GetProperty("description").GetString());
        Assert.Equal(["disk"], full.GetProperty("data").GetProperty("exhausted").EnumerateArray().Select(e => e.GetString()));
        Assert.True(full.GetProperty("data").GetProperty("diskFreeBytes").GetInt64() > 0);

        hub.Live.Change("Buffer:MinFreeDiskBytes", "0");
        Assert.Equal(HttpStatusCode.Accepted, (await Push(3)).StatusCode);
        var recovered = await BufferReadiness();
        Assert.Empty(recovered.GetProperty("data").GetProperty("exhausted").EnumerateArray());
    }

    [Fact]
    public async Task Readiness_shows_open_files_memory_and_connections_against_their_limits()
    {
        var ready = await hub.CreateClient().GetFromJsonAsync<JsonElement>("/health/ready", Cancel);
        var resources = ready.GetProperty("checks").GetProperty("resources");
        Assert.Equal("Healthy", resources.GetProperty("status").GetString());
        var data = resources.GetProperty("data");
        Assert.True(data.GetProperty("openFiles").GetInt64() > 0);
        Assert.True(data.GetProperty("openFilesLimit").GetInt64() >= data.GetProperty("openFiles").GetInt64());
        Assert.True(data.GetProperty("memoryLimitBytes").GetInt64() > 0);
        Assert.True(data.TryGetProperty("httpConnections", out _));
        Assert.Empty(data.GetProperty("exhausted").EnumerateArray());
    }
}
