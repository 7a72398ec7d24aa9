namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A folder of a test's own under the system's temporary folder, deleted with everything in it when disposed:
/// <c>using var data = new TempFolder("ioc-drain-");</c> takes the place of a try/finally around the test.
/// It converts to its path, so it can be given wherever a path is asked for.
/// </summary>
public sealed class TempFolder(string prefix) : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string FullName { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The folder's full path.</summary>
    public static implicit operator string(TempFolder folder) => folder.FullName;

    /// <inheritdoc/>
    public override string ToString() => FullName;

    /// <summary>Deletes the folder and everything in it.</summary>
    public void Dispose() => Directory.Delete(FullName, recursive: true);
}
