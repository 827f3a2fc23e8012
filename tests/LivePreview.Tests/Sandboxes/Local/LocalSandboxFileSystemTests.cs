using LivePreview.Sandboxes;
using static LivePreview.Tests.Sandboxes.Local.SandboxTestHelpers;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>Host-side file access to a sandbox's workspace: overlay semantics, ownership, and refusal of every way out.</summary>
public sealed class LocalSandboxFileSystemTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.233");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Workspace_files_come_from_the_snapshot_and_writes_never_reach_it()
    {
        var id = await _harness.CreateAsync();
        var files = _harness.Provider.Files(id);

        Assert.Equal(LocalSandboxHarness.ServerScript, await ReadAsync(files, "server.js"));
        await files.WriteAsync("src/App.tsx", Text("edited"), Timeout);
        await files.WriteAsync("src/deep/new/file.ts", Text("new"), Timeout);

        Assert.Equal("edited", await ReadAsync(files, "src/App.tsx"));
        Assert.Equal("new", await ReadAsync(files, "src/deep/new/file.ts"));
        Assert.Equal("export const App = () => 'snapshot';\n", File.ReadAllText(Path.Join(_harness.Snapshot, "src", "App.tsx")));
        Assert.False(Directory.Exists(Path.Join(_harness.Snapshot, "src", "deep")));
        Assert.Equal("export const App = () => 'snapshot';\n", await ReadAsync(_harness.Provider.Files(await _harness.CreateAsync()), "src/App.tsx"));
    }

    [Fact]
    public async Task Stat_list_and_delete_describe_the_workspace()
    {
        var id = await _harness.CreateAsync();
        var files = _harness.Provider.Files(id);
        await files.WriteAsync("src/lib/util.ts", Text("12345"), Timeout);

        var root = await files.ListAsync("", Timeout);
        var stat = await files.StatAsync("src/lib/util.ts", Timeout);

        Assert.Equal(["server.js", "src"], root!.Select(e => e.Name));
        Assert.True(root!.Single(e => e.Name == "src").IsDirectory);
        Assert.Equal(new SandboxFileEntry("src/lib/util.ts", "util.ts", false, 5, stat!.ModifiedAt), stat);
        Assert.Equal(["App.tsx", "lib"], (await files.ListAsync("./src/", Timeout))!.Select(e => e.Name));
        Assert.True((await files.StatAsync(".", Timeout))!.IsDirectory);
        Assert.Null(await files.ListAsync("missing", Timeout));
        Assert.Null(await files.StatAsync("missing.ts", Timeout));
        Assert.Null(await files.OpenReadAsync("src", Timeout));
        Assert.True(await files.DeleteAsync("src", Timeout));
        Assert.False(await files.DeleteAsync("src", Timeout));
        Assert.Equal(["server.js"], (await files.ListAsync("", Timeout))!.Select(e => e.Name));
        Assert.True(File.Exists(Path.Join(_harness.Snapshot, "src", "App.tsx")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("src/../../../etc/passwd")]
    [InlineData("..")]
    public async Task Paths_that_leave_the_workspace_are_refused(string path)
    {
        var files = _harness.Provider.Files(await _harness.CreateAsync());

        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.OpenReadAsync(path, Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.WriteAsync(path, Text("x"), Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.StatAsync(path, Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.ListAsync(path, Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.DeleteAsync(path, Timeout));
    }

    [Fact]
    public async Task Symlinks_made_inside_the_sandbox_that_point_outside_are_refused()
    {
        var id = await _harness.CreateAsync();
        var other = await _harness.CreateAsync();
        var files = _harness.Provider.Files(id);
        var made = await _harness.RunAsync(id, "sh", "-c",
            $"ln -s /etc evil && ln -s /etc/hostname host && ln -s ../../{other}/merged neighbour && mkdir -p src/a && ln -s ../../.. src/a/up && ln -s server.js alias");
        Assert.Equal(0, made.ExitCode);
        await _harness.Provider.Files(other).WriteAsync("secret.txt", Text("neighbour's"), Timeout);

        foreach (var path in new[] { "evil/passwd", "host", "neighbour/secret.txt", "src/a/up/etc/passwd" })
        {
            await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.OpenReadAsync(path, Timeout));
            await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.StatAsync(path, Timeout));
        }
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.WriteAsync("evil/planted", Text("x"), Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.WriteAsync("neighbour/secret.txt", Text("x"), Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.ListAsync("evil", Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.DeleteAsync("neighbour/secret.txt", Timeout));

        Assert.False(File.Exists("/etc/planted"));
        Assert.Equal("neighbour's", await ReadAsync(_harness.Provider.Files(other), "secret.txt"));
        Assert.Equal(LocalSandboxHarness.ServerScript, await ReadAsync(files, "alias"));
        Assert.DoesNotContain("evil", (await files.ListAsync("", Timeout))!.Select(e => e.Name));
    }

    [Fact]
    public async Task Writing_over_a_symlink_replaces_the_link_and_never_writes_through_it()
    {
        var id = await _harness.CreateAsync();
        var outside = Path.Join(_harness.Directory, "outside.txt");
        File.WriteAllText(outside, "untouched");
        await _harness.RunAsync(id, "ln", "-s", outside, "link.txt");

        await _harness.Provider.Files(id).WriteAsync("link.txt", Text("replaced"), Timeout);

        Assert.Equal("untouched", File.ReadAllText(outside));
        Assert.Equal("replaced", await ReadAsync(_harness.Provider.Files(id), "link.txt"));
    }

    [Fact]
    public async Task Files_written_by_the_service_can_be_edited_inside_the_sandbox_and_the_other_way_round()
    {
        var id = await _harness.CreateAsync();
        var files = _harness.Provider.Files(id);
        await files.WriteAsync("src/api.ts", Text("from the service\n"), Timeout);

        var edited = await _harness.NodeAsync(id, """
            const fs = require('fs');
            fs.appendFileSync('src/api.ts', 'from the sandbox\n');
            fs.mkdirSync('made-inside');
            fs.writeFileSync('made-inside/file.txt', 'inside\n');
            fs.appendFileSync('server.js', '// edited inside\n');
            """);
        Assert.Equal(0, edited.ExitCode);

        Assert.Equal("from the service\nfrom the sandbox\n", await ReadAsync(files, "src/api.ts"));
        await files.WriteAsync("made-inside/file.txt", Text("overwritten by the service"), Timeout);
        await files.WriteAsync("made-inside/second.txt", Text("second"), Timeout);
        var again = await _harness.NodeAsync(id, "const fs = require('fs'); fs.appendFileSync('made-inside/second.txt', '!'); console.log(fs.readFileSync('made-inside/file.txt', 'utf8')); fs.rmSync('made-inside', { recursive: true });");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("overwritten by the service", again.Output.Trim());
        Assert.Null(await files.StatAsync("made-inside", Timeout));
        Assert.EndsWith("// edited inside\n", await ReadAsync(files, "server.js"));
    }

    [Fact]
    public async Task A_fifo_planted_in_the_workspace_does_not_hang_a_read()
    {
        var id = await _harness.CreateAsync();
        await _harness.RunAsync(id, "mkfifo", "pipe");

        Assert.Null(await _harness.Provider.Files(id).OpenReadAsync("pipe", Timeout));
    }
}
