using Microsoft.Data.Sqlite;

namespace Ioc.Tests.Storage;

/// <summary>The embedded store's backup, as docs/operations.md describes it, restored into a new hub.</summary>
public sealed class EmbeddedBackupTests
{
    [Fact]
    public async Task A_hub_restored_from_an_online_backup_of_the_embedded_store_answers_history_as_the_original_did_and_has_its_grain_state()
    {
        var end = StorageScenario.RecentEnd();
        var points = StorageScenario.AirQuality(end);
        var restored = Directory.CreateTempSubdirectory("ioc-restored-").FullName;
        IReadOnlySet<string> unitsWithState;
        try
        {
            await using (var original = new StorageHub(new Dictionary<string, string?>()))
            {
                await StorageScenario.Push(original.CreateUnitClient(), points, 25, Cancel);
                await original.Drained(Cancel);
                await original.UnitsHoldNewest(points, Cancel);
                // SQLite's online backup (what `sqlite3 hub.db ".backup …"` does) while the hub runs and writes.
                // Units save as they deactivate: after this, the grain state holds every unit that reported.
                await original.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero, Cancel);
                unitsWithState = await original.Services.GetRequiredService<EmbeddedGrainStorage>().KeysWithState("unit");
                // Both files, points and grain state, as docs/operations.md says.
                var store = original.Services.GetRequiredService<EmbeddedStore>();
                foreach (var file in new[] { store.FilePath, store.StateFilePath })
                {
                    await using var source = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
                    await using var target = new SqliteConnection($"Data Source={Path.Combine(restored, Path.GetFileName(file))};Pooling=False");
                    source.Open();
                    source.BackupDatabase(target);
                }
            }

            await using var hub = new StorageHub(new Dictionary<string, string?> { ["Storage:DataDirectory"] = restored });
            await StorageScenario.AnswersAsPushed(hub, points, ["van-lam-air-1", "hung-yen"], [(end.AddHours(-2), end, TimeSpan.FromMinutes(10))],
                ["avg", "count", "last"], "after the restore", Cancel);
            Assert.Contains("van-lam-air-1", unitsWithState);
            // Units that reported later may have saved too, before the backup; none that had saved is missing.
            Assert.Superset(unitsWithState.ToHashSet(), (await hub.Services.GetRequiredService<EmbeddedGrainStorage>().KeysWithState("unit")).ToHashSet());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(restored, recursive: true);
        }
    }
}
