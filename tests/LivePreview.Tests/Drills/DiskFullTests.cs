using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Drills;

/// <summary>
/// The data directory's disk runs full: a 96 MB ext4 image, loop-mounted for this test (no reserved blocks, so root
/// fills it too) and unmounted after. Writes then fail with a 507 that says so, reads keep working, the database stays
/// sound, and writes work again once space returns.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly string _image = Path.Join(Path.GetTempPath(), $"lp-diskfull-{Guid.NewGuid():N}.img");
    private readonly string _mount = Path.Join(Path.GetTempPath(), $"lp-diskfull-{Guid.NewGuid():N}");
    private LivePreviewHost _host = null!;

    private string DataDirectory => Path.Join(_mount, "data");

    public async Task InitializeAsync()
    {
        await using (var image = File.Create(_image))
        {
            image.SetLength(96L * 1024 * 1024);
        }
        await RunAsync("mkfs.ext4", "-q", "-F", "-m", "0", _image);
        Directory.CreateDirectory(_mount);
        await RunAsync("mount", "-o", "loop", _image, _mount);
        Directory.CreateDirectory(DataDirectory);
        // SQLite even when the suite runs on PostgreSQL: the database must be on the disk that fills.
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Database:Provider"] = "Sqlite" }, DataDirectory);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _host.DisposeAsync();
        }
        finally
        {
            // The service's pooled SQLite connections outlive it and keep the database open: the mount would be busy.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await RunAsync("umount", _mount);
            Directory.Delete(_mount);
            File.Delete(_image);
        }
    }

    [Fact]
    public async Task When_the_data_directory_is_full_writes_are_507_reads_keep_working_the_database_stays_sound_and_writes_return_with_space()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateKeyAsync("before")).Status);
        var filler = Path.Join(_mount, "filler");
        await FillAsync(filler);

        // The database may still have room in pages it holds: keep writing until a write needs a block there is none of.
        (HttpStatusCode Status, string Body) refused = (0, "");
        for (var i = 0; i < 5000 && (refused = await CreateKeyAsync($"fill-{i}")).Status == HttpStatusCode.Created; i++)
        {
        }
        Assert.True(refused.Status == HttpStatusCode.InsufficientStorage, $"A write on a full disk: {(int)refused.Status} {refused.Body}");
        var problem = JsonDocument.Parse(refused.Body).RootElement;
        Assert.Contains("disk", problem.GetProperty("detail").GetString());

        var keys = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/keys");
        Assert.Contains(keys.EnumerateArray(), k => k.GetProperty("name").GetString() == "before");
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("api/v1/sandboxes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("api/v1/events?after=0")).StatusCode);
        Assert.Equal("ok", await IntegrityCheckAsync());

        File.Delete(filler);

        Assert.Equal(HttpStatusCode.Created, (await CreateKeyAsync("after")).Status);
        var after = await _host.Http.GetFromJsonAsync<JsonElement>("api/v1/keys");
        Assert.Contains(after.EnumerateArray(), k => k.GetProperty("name").GetString() == "after");
        Assert.Equal("ok", await IntegrityCheckAsync());
    }

    private async Task<(HttpStatusCode Status, string Body)> CreateKeyAsync(string name)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user = "filler", name });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Takes every free block: one preallocated file of the free space, then appends until the disk says no.</summary>
    private async Task FillAsync(string filler)
    {
        var free = new DriveInfo(_mount).AvailableFreeSpace;
        await RunAsync("fallocate", "-l", (free - (64 * 1024)).ToString(System.Globalization.CultureInfo.InvariantCulture), filler);
        // Unbuffered: nothing left to flush (and fail) when the stream is disposed on a full disk.
        await using var stream = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                await stream.WriteAsync(block);
            }
        }
        catch (IOException)
        {
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: exit {process.ExitCode} {error}");
    }

    /// <summary>The SQLite file's own check (this drill runs on SQLite whatever the suite's database: the file is on the full disk).</summary>
    private async Task<string?> IntegrityCheckAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Join(DataDirectory, "livepreview.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
