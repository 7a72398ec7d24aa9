using System.Diagnostics;
using Ioc.Ingest.Telemetry;
using Microsoft.Extensions.Logging;

namespace Ioc.Tests.Hardening;

/// <summary>
/// A real full disk: a small tmpfs mounted for the test and filled up, so the write-ahead buffer's own writes
/// fail with ENOSPC, as they would on a full data disk. Mounting takes root, as CI runs; elsewhere the tests skip.
/// </summary>
public sealed class RealFullDiskTests
{
    private static List<TelemetryPoint> Request(int i) =>
        [new("van-lam-air-1", "pm25", i, new DateTimeOffset(2026, 11, 27, 7, 0, 0, TimeSpan.Zero).AddSeconds(i))];

    [Fact]
    public async Task A_full_disk_under_the_buffer_is_one_warning_without_a_stack_and_its_recovery_is_logged()
    {
        using var disk = SmallDisk.Mount(1 << 20);
        var logger = new ListLogger();
        using var log = new WriteAheadLog(Path.Combine(disk.Path, "buffer"), new BufferOptions(), TimeProvider.System, logger.For<WriteAheadLog>());
        var filler = disk.Fill();

        for (var i = 0; i < 20; i++)
        {
            var refused = await Assert.ThrowsAsync<IOException>(async () => await log.Append(Request(i), Cancel));
            Assert.True(WriteAheadLog.IsDiskFull(Assert.IsType<IOException>(refused.InnerException)), refused.InnerException!.Message);
        }
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Null(warning.Exception);
        Assert.Contains("No space left on device", warning.Message);
        Assert.Contains("errno 28", warning.Message);

        File.Delete(filler);
        Assert.True(await log.Append(Request(20), Cancel));
        Assert.Equal(2, logger.Entries.Count);
        Assert.Equal(LogLevel.Information, logger.Entries[1].Level);
        Assert.Contains("20 requests were refused", logger.Entries[1].Message);

        // Nothing of the refused requests is left in the buffer: only the one taken after space returned.
        using var reader = log.OpenReader();
        var points = new List<TelemetryPoint>();
        Assert.True(reader.TryRead(points));
        Assert.False(reader.TryRead(points));
        Assert.Equal(Request(20), points);
    }

    /// <summary>The hub with its data directory on a small disk the test fills, and its log entries kept.</summary>
    public sealed class Hub(string dataDirectory, ListLogger logs) : HubFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            // No reserve: the disk itself refuses the write.
            ["Buffer:MinFreeDiskBytes"] = "0",
        };

        protected override ILoggerProvider LogProvider => logs;
    }

    [Fact]
    public async Task A_push_onto_a_full_disk_is_a_503_naming_it_readiness_names_the_disk_and_both_clear_when_space_returns()
    {
        using var disk = SmallDisk.Mount(64 << 20);
        var logs = new ListLogger();
        await using var hub = new Hub(Path.Combine(disk.Path, "data"), logs);
        var units = hub.CreateUnitClient();
        Task<HttpResponseMessage> Push(double value) => units.PostAsync("/api/v1/telemetry", new StringContent(
            $$"""{"points":[{"unit":"kim-dong-air-1","metric":"pm25","value":{{value}}}]}""", Encoding.UTF8, "application/json"), Cancel);
        async Task<JsonElement> Buffer() =>
            (await hub.CreateClient().GetFromJsonAsync<JsonElement>("/health/ready", Cancel)).GetProperty("checks").GetProperty("time-series");

        // Filled before the first push: a segment the buffer has begun has room in its last page, which a full
        // disk still lets it use.
        Assert.Empty((await Buffer()).GetProperty("data").GetProperty("exhausted").EnumerateArray());
        var filler = disk.Fill();

        for (var i = 0; i < 5; i++)
        {
            var refused = await Push(2 + i);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter is not null);
            var detail = (await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString();
            Assert.Contains("the disk of the write-ahead buffer refused the last write", detail);
            Assert.Contains("No space left on device", detail);
        }
        var full = await Buffer();
        Assert.Equal("Degraded", full.GetProperty("status").GetString());
        Assert.Contains("disk", full.GetProperty("description").GetString());
        Assert.Contains("disk", full.GetProperty("data").GetProperty("exhausted").EnumerateArray().Select(e => e.GetString()));

        // Five refused requests: one warning from the buffer, without a stack, and nothing else from ingest.
        var ingest = logs.Entries.Where(e => (e.Category.StartsWith("Ioc.Ingest", StringComparison.Ordinal) || e.Category.StartsWith("Ioc.TimeSeries", StringComparison.Ordinal))
            && e.Level >= LogLevel.Warning).ToList();
        var warning = Assert.Single(ingest);
        Assert.Equal(typeof(WriteAheadLog).FullName, warning.Category);
        Assert.Null(warning.Exception);

        File.Delete(filler);
        Assert.Equal(HttpStatusCode.Accepted, (await Push(10)).StatusCode);
        Assert.Empty((await Buffer()).GetProperty("data").GetProperty("exhausted").EnumerateArray());
        Assert.Contains(logs.Entries, e => e.Category == typeof(WriteAheadLog).FullName && e.Level == LogLevel.Information
            && e.Message.Contains("takes requests again", StringComparison.Ordinal));
    }
}

/// <summary>A tmpfs of a given size mounted on a temporary directory, unmounted and removed on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    /// <summary>Where it is mounted.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/>; skips the test where mounting is not allowed (not root), fails under CI.</summary>
    public static SmallDisk Mount(long bytes)
    {
        var path = Directory.CreateTempSubdirectory("ioc-small-disk-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code == 0) return new SmallDisk(path);
        Directory.Delete(path);
        var why = $"cannot mount a tmpfs for a real full disk (mount said: {output.Trim()}); run the tests as root";
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 }) Assert.Fail(why);
        Assert.Skip(why);
        return null!;
    }

    /// <summary>Writes a file until the disk refuses more; returns its path, to delete when space should return.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var chunk = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true) stream.Write(chunk);
        }
        catch (IOException)
        {
            // Full. Bytes smaller than a chunk may still fit: fill those too, so that any write fails.
            foreach (var size in new[] { 4096, 512, 1 })
            {
                try
                {
                    while (true) stream.Write(chunk.AsSpan(0, size));
                }
                catch (IOException)
                {
                }
            }
        }
        return filler;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
