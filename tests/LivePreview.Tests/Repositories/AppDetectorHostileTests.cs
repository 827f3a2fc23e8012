using System.Text;
using LivePreview.Repositories;

namespace LivePreview.Tests.Repositories;

/// <summary>Repository content is hostile: links, huge or malformed files never make detection read elsewhere, hang or blow up.</summary>
public sealed class AppDetectorHostileTests : IDisposable
{
    private const string NextPackage = """{ "scripts": { "dev": "next dev" }, "dependencies": { "next": "^15" } }""";

    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task A_package_json_linked_to_a_file_outside_is_not_read()
    {
        _repo.Link("package.json", _repo.WriteOutside("package.json", NextPackage));

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("no package.json", error.Message);
    }

    [Fact]
    public async Task A_package_json_linked_to_a_file_inside_is_not_read_either()
    {
        _repo.Write("real.json", NextPackage).Link("package.json", "real.json");

        await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());
    }

    [Fact]
    public async Task A_50_MB_package_json_is_refused_without_being_read()
    {
        using (var file = File.Create(Path.Join(_repo.Root, "package.json")))
        {
            file.SetLength(50L * 1024 * 1024);
        }

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("larger than 1 MiB", error.Message);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(40)] // within System.Text.Json's default of 64: detection's own bound
    public async Task A_package_json_nested_deeper_than_detection_reads_is_refused_as_invalid(int depth)
    {
        _repo.Write("package.json", "{\"scripts\": " + string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth)) + "}");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public async Task A_package_json_of_invalid_utf8_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes(NextPackage).Concat(new byte[] { 0xC3, 0x28, 0xFF }).ToArray();
        _repo.WriteBytes("package.json", bytes);

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => _repo.DetectAsync());

        Assert.Contains("not UTF-8", error.Message);
    }

    [Fact]
    public async Task A_package_json_that_is_a_fifo_does_not_hang_detection()
    {
        _repo.Fifo("package.json");

        var error = await Assert.ThrowsAsync<AppDetectionException>(() => Task.Run(() => _repo.DetectAsync()).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Contains("no package.json", error.Message);
    }

    [Fact]
    public async Task A_package_json_with_a_byte_order_mark_is_read()
    {
        _repo.WriteBytes("package.json", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(NextPackage)]);

        Assert.Equal("next", (await _repo.DetectAsync()).Framework);
    }

    [Fact]
    public async Task A_lock_file_linked_from_outside_does_not_count()
    {
        _repo.Write("package.json", NextPackage).Link("pnpm-lock.yaml", _repo.WriteOutside("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"));

        var profile = await _repo.DetectAsync();

        Assert.Equal((PackageManager.Npm, null), (profile.PackageManager, profile.LockFile));
    }

    [Fact]
    public async Task A_broken_workspace_package_is_skipped_and_said_so()
    {
        _repo.Write("package.json", """{ "workspaces": ["apps/*"] }""")
            .Write("apps/a/package.json", "{ not json")
            .Write("apps/b/package.json", NextPackage);

        var profile = await _repo.DetectAsync();

        Assert.Equal("apps/b", profile.AppDirectory);
        Assert.Contains(profile.Reasons, r => r.StartsWith("workspace package apps/a skipped", StringComparison.Ordinal));
    }
}
