namespace Ioc.Testing;

/// <summary>The outside programs (Debian packages) that the servers here run, and what happens when one is missing.</summary>
public static class Component
{
    /// <summary>
    /// Called with a message naming the missing program and its package; it must throw. By default it throws
    /// <see cref="InvalidOperationException"/>; the test project replaces it to skip a test, or fail it under CI.
    /// </summary>
    public static Action<string> WhenMissing { get; set; } = message => throw new InvalidOperationException(message);

    /// <summary>Whether this process runs under CI, where a missing component is a failure, never a skip.</summary>
    public static bool UnderCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 };

    /// <summary>Reports <paramref name="path"/> through <see cref="WhenMissing"/> when it does not exist.</summary>
    public static void Require(string path, string package)
    {
        if (File.Exists(path)) return;
        WhenMissing($"{path} is missing; install the Debian package '{package}'.");
        throw new InvalidOperationException($"{path} is missing.");
    }
}
