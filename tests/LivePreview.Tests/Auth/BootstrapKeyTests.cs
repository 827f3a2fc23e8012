using System.Net;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>With no key configured, the first start makes one (0600) in the data directory and later starts reuse it.</summary>
[Collection(ServiceCollection.Name)]
public sealed class BootstrapKeyTests
{
    private static readonly Dictionary<string, string?> NoConfiguredKey = new() { ["LivePreview:Auth:BootstrapKey"] = "" };

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_generated_bootstrap_key_is_mode_0600_and_still_works_after_a_restart()
    {
        var data = Directory.CreateTempSubdirectory("livepreview-test-").FullName;
        var file = Path.Join(data, "bootstrap-key");
        string key;
        var first = await LivePreviewHost.StartAsync(NoConfiguredKey, data);
        try
        {
            key = (await File.ReadAllTextAsync(file)).Trim();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.StartsWith("lpk_", key, StringComparison.Ordinal);
            using var admin = AuthClients.WithKey(first, key);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/v1/keys")).StatusCode);
        }
        finally
        {
            // Stop without deleting the data directory: the next start must find the key there.
            first.Http.Dispose();
            await first.App.StopAsync();
            await first.App.DisposeAsync();
        }

        await using var second = await LivePreviewHost.StartAsync(NoConfiguredKey, data);
        using var again = AuthClients.WithKey(second, key);

        Assert.Equal(key, (await File.ReadAllTextAsync(file)).Trim());
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("api/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task A_configured_bootstrap_key_replaces_the_generated_one_and_no_file_is_written()
    {
        await using var host = await LivePreviewHost.StartAsync();
        using var admin = AuthClients.WithKey(host, host.AdminKey);

        Assert.False(File.Exists(Path.Join(host.DataDirectory, "bootstrap-key")));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task A_short_bootstrap_key_stops_the_start_with_a_message_that_says_how_long_it_must_be()
    {
        var data = Directory.CreateTempSubdirectory("livepreview-test-").FullName;
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() =>
                LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Auth:BootstrapKey"] = "secret" }, data));

            Assert.Contains("at least 32 characters", error.Message, StringComparison.Ordinal);
            // Long enough, but not a LivePreview key: the preview proxy could not tell it from an app's own token.
            var unprefixed = await Assert.ThrowsAnyAsync<Exception>(() =>
                LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Auth:BootstrapKey"] = new string('k', 40) }, data));
            Assert.Contains("must start with 'lpk_'", unprefixed.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
