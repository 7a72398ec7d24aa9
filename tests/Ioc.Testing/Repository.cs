using System.Diagnostics;

namespace Ioc.Testing;

/// <summary>The repository the tests and tools run from, and external commands they run.</summary>
public static class Repository
{
    /// <summary>The folder holding <c>Ioc.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Whether this process runs as root (as CI does).</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>
    /// A binary a test needs. When it is missing the test fails under CI (so CI never silently skips) and is
    /// skipped elsewhere, naming the Debian package that brings it (see <see cref="Component.WhenMissing"/>).
    /// </summary>
    public static void Require(string path, string package) => Component.Require(path, package);

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> Run(string file, IEnumerable<string> arguments, TimeSpan timeout, string? asUser = null)
    {
        var (exitCode, output) = await Execute(file, arguments, timeout, asUser);
        if (exitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exitCode}:\n{output}");
        return output;
    }

    /// <summary>Runs a command to completion and returns its exit code and output (standard output, then standard error).</summary>
    public static async Task<(int ExitCode, string Output)> Execute(
        string file,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? asUser = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
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
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ioc.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Ioc.sln above {AppContext.BaseDirectory}.");
    }
}
