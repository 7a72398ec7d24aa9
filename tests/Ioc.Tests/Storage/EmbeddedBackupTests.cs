using Microsoft.Data.Sqlite;

namespace Ioc.Tests.Storage;

/// <summary>The embedded store's backup, as docs/operations.md describes it, restored into a new hub.</summary>
public sealed class EmbeddedBackupTests
{
    [Fact]
    public async Task A_hub_restored_from_an_online_backup_of_the_embedded_store_answers_history_as_the_original_did()
    {
        var end = StorageScenario.RecentEnd();
        var points = StorageScenario.AirQuality(end);
        var restored = Directory.CreateTempSubdirectory("ioc-restored-").FullName;
        try
        {
            await using (var original = new StorageHub(new Dictionary<string, string?>()))
            {
                await StorageScenario.Push(original.CreateUnitClient(), points, 25, Cancel);
                await original.Drained(Cancel);
                // SQLite's online backup (what `sqlite3 hub.db ".backup …"` does) while the hub runs and writes.
                var store = original.Services.GetRequiredService<EmbeddedStore>();
                await using var source = new SqliteConnection($"Data Source={store.FilePath};Mode=ReadOnly;Pooling=False");
                await using var target = new SqliteConnection($"Data Source={Path.Combine(restored, "hub.db")};Pooling=False");
                source.Open();
                source.BackupDatabase(target);
            }

            await using var hub = new StorageHub(new Dictionary<string, string?> { ["Storage:DataDirectory"] = restored });
            await StorageScenario.AnswersAsPushed(hub, points, ["van-lam-air-1", "hung-yen"], [(end.AddHours(-2), end, TimeSpan.FromMinutes(10))],
                ["avg", "count", "last"], "after the restore", Cancel);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(restored, recursive: true);
        }
    }
}
