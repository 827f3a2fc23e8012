using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Containment;

/// <summary>What the identity and system-call boundary refuses to run without: a safe host user, bubblewrap ≥ 0.8, setpriv, libseccomp.</summary>
public sealed class SandboxHardeningTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.242");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public void A_host_uid_that_is_root_a_login_account_or_in_a_subordinate_range_is_refused()
    {
        var passwd = Path.Join(_harness.Directory, "passwd");
        var subuid = Path.Join(_harness.Directory, "subuid");
        var subgid = Path.Join(_harness.Directory, "subgid");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nalice:x:1500:1500::/home/alice:/bin/bash\nlpsandbox:x:99999:99999::/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(subuid, "alice:100000:65536\n");
        File.WriteAllText(subgid, "alice:200000:65536\n");

        Assert.NotEmpty(SandboxOwnership.ValidateHostIds(0, 99999, passwd, subuid, subgid));
        Assert.NotEmpty(SandboxOwnership.ValidateHostIds(99999, 0, passwd, subuid, subgid));
        Assert.Contains("alice", Assert.Single(SandboxOwnership.ValidateHostIds(1500, 1500, passwd, subuid, subgid)));
        Assert.Contains("subordinate range of 'alice'", Assert.Single(SandboxOwnership.ValidateHostIds(165535, 99999, passwd, subuid, subgid)));
        Assert.Contains("HostGid", Assert.Single(SandboxOwnership.ValidateHostIds(99999, 200001, passwd, subuid, subgid)));
        Assert.Empty(SandboxOwnership.ValidateHostIds(99999, 99999, passwd, subuid, subgid));
        Assert.Empty(SandboxOwnership.ValidateHostIds(165536, 165536, passwd, subuid, subgid));
    }

    [Fact]
    public async Task Without_a_usable_bubblewrap_no_sandbox_is_created_and_the_error_says_what_to_install()
    {
        _harness.Options.BubblewrapPath = Path.Join(_harness.Directory, "no-bwrap");
        await _harness.RestartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.CreateAsync());

        Assert.Contains("bubblewrap 0.8 or newer", error.Message);
        Assert.Contains("BubblewrapPath", error.Message);
    }

    [Fact]
    public async Task Without_setpriv_processes_do_not_start_rather_than_run_as_host_root()
    {
        var id = await _harness.CreateAsync();
        _harness.Options.SetprivPath = Path.Join(_harness.Directory, "no-setpriv");
        await _harness.RestartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.RunAsync(id, "true"));

        Assert.Contains("setpriv", error.Message);
    }

    [Fact]
    public async Task The_seccomp_filter_builds_from_libseccomp_and_a_snapshot_is_handed_to_the_sandbox_user_once()
    {
        var filter = SeccompFilter.Build();
        var before = SandboxOwnership.OwnerOf(_harness.Snapshot);
        // A snapshot still being built (no manifest yet) is walked on every use: files are still being added.
        var building = await _harness.CreateAsync();
        File.WriteAllText(Path.Join(_harness.Snapshot, "added-while-building.txt"), "x");
        File.WriteAllText(Path.Join(_harness.Snapshot, "manifest.json"), "{}");

        var id = await _harness.CreateAsync();
        File.WriteAllText(Path.Join(_harness.Snapshot, "added-later-by-root.txt"), "x");
        await _harness.CreateAsync();

        // Classic BPF: 8 bytes per instruction, and a rule per refused call at least.
        Assert.Equal(0, filter.Length % 8);
        Assert.True(filter.Length / 8 > SeccompFilter.Refused.Count);
        Assert.Equal(0, before);
        Assert.Equal(_harness.Options.HostUid, SandboxOwnership.OwnerOf(_harness.Snapshot));
        Assert.Equal(_harness.Options.HostUid, SandboxOwnership.OwnerOf(Path.Join(_harness.Snapshot, "src", "App.tsx")));
        Assert.Equal(_harness.Options.HostUid, SandboxOwnership.OwnerOf(Path.Join(_harness.Snapshot, "added-while-building.txt")));
        // Done once per finished snapshot (its manifest is the marker's key): a later sandbox does not walk it again.
        Assert.Equal(0, SandboxOwnership.OwnerOf(Path.Join(_harness.Snapshot, "added-later-by-root.txt")));
        Assert.NotEqual(id, building);
        Assert.Equal(0, (await _harness.RunAsync(id, "sh", "-c", "mkdir -p node_modules/.vite && echo ok > src/App.tsx")).ExitCode);
    }
}
