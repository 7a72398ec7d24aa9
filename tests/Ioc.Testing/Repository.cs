using System.Diagnostics;

namespace Ioc.Tests.Infrastructure;

/// <summary>The repository the tests run from, and external commands they run.</summary>
public static class Repository
{
    /// <summary>The folder holding <c>Ioc.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Whether this process runs as root (as CI does).</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>
    /// A binary a test needs. When it is missing the test fails under CI (so CI never silently skips) and is
    /// skipped elsewhere, naming the Debian package that brings it.
    /// </summary>
    public static void Require(string path, string package)
    {
        if (File.Exists(path)) return;
        var message = $"{path} is missing; install the Debian package '{package}'.";
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
            Assert.Fail(message);
        Assert.Skip(message);
    }

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> Run(string file, IEnumerable<string> arguments, TimeSpan timeout, string? asUser = null)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asUser is not null)
        {
            // PostgreSQL refuses to run as root; setpriv runs the command as its owner without a login session.
            start.FileName = "setpriv";
            foreach (var a in new[] { $"--reuid={asUser}", $"--regid={asUser}", "--init-groups", "--", file }) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = file;
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ioc.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Ioc.sln above {AppContext.BaseDirectory}.");
    }
}
