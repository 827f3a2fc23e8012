using System.Text;
using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Agents;

/// <summary>The tracker over an in-memory workspace that is edited behind its back, as a CLI agent does.</summary>
public sealed class WorkspaceChangeTrackerTests
{
    private readonly AgentKit _kit = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly WorkspaceChangeOptions _options = new();

    private WorkspaceChangeTracker Tracker() =>
        new(_kit.Sandbox, _kit.Files, new Fixed(_options), _time, NullLogger<WorkspaceChangeTracker>.Instance);

    /// <summary>Writes straight to the "disk", bypassing WorkspaceFiles, with a modification time a moment from now.</summary>
    private async Task EditBehindItsBackAsync(string path, string content)
    {
        _time.Advance(TimeSpan.FromMinutes(1));
        _kit.Sandbox.Now = _time.GetUtcNow();
        await _kit.Sandbox.WriteAsync(path, new MemoryStream(Encoding.UTF8.GetBytes(content)), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
    }

    private IReadOnlyList<LivePreviewEvent> FileEvents => _kit.Events.Events.Where(e => e.Type is EventTypes.FileChanged or EventTypes.FileDeleted).ToList();

    private static string Text(LivePreviewEvent e, string property) => e.Payload!.Value.GetProperty(property).ToString();

    [Fact]
    public async Task An_edit_made_behind_its_back_is_announced_once_with_its_diff()
    {
        _kit.Sandbox.Seed("src/App.tsx", "line one\nline two\n").Seed("index.html", "<div></div>\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);

        await EditBehindItsBackAsync("src/App.tsx", "line one\nline 2!\n");

        Assert.Equal(1, await tracked.PublishChangesAsync(CancellationToken.None));
        var changed = Assert.Single(FileEvents);
        Assert.Equal(EventTypes.FileChanged, changed.Type);
        Assert.Equal(AgentKit.SandboxId, changed.SandboxId);
        Assert.Equal("src/App.tsx", Text(changed, "path"));
        Assert.Equal("agent", Text(changed, "source"));
        Assert.False(changed.Payload!.Value.GetProperty("created").GetBoolean());
        var diff = Text(changed, "diff");
        Assert.Contains("--- a/src/App.tsx", diff);
        Assert.Contains("-line two", diff);
        Assert.Contains("+line 2!", diff);
        Assert.Contains(" line one", diff);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await tracked.PublishChangesAsync(CancellationToken.None));
        Assert.Single(FileEvents);
    }

    [Fact]
    public async Task New_and_deleted_files_are_announced_as_created_and_deleted()
    {
        _kit.Sandbox.Seed("src/old.ts", "export const old = 1;\n").Seed("src/keep.ts", "keep\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);

        await EditBehindItsBackAsync("src/components/New.tsx", "export const New = () => null;\n");
        await _kit.Sandbox.DeleteAsync("src/old.ts", CancellationToken.None);

        Assert.Equal(2, await tracked.PublishChangesAsync(CancellationToken.None));
        var created = Assert.Single(FileEvents, e => e.Type == EventTypes.FileChanged);
        Assert.Equal("src/components/New.tsx", Text(created, "path"));
        Assert.True(created.Payload!.Value.GetProperty("created").GetBoolean());
        Assert.Contains("+export const New = () => null;", Text(created, "diff"));
        var deleted = Assert.Single(FileEvents, e => e.Type == EventTypes.FileDeleted);
        Assert.Equal("src/old.ts", Text(deleted, "path"));
        Assert.Contains("-export const old = 1;", Text(deleted, "diff"));
    }

    [Fact]
    public async Task Dependency_build_and_version_control_folders_are_not_looked_at()
    {
        _kit.Sandbox.Seed("src/main.ts", "main\n").Seed("node_modules/react/index.js", "react\n").Seed(".git/HEAD", "ref: refs/heads/main\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);

        await EditBehindItsBackAsync("node_modules/react/index.js", "patched\n");
        await EditBehindItsBackAsync("packages/ui/node_modules/x/index.js", "x\n");
        await EditBehindItsBackAsync(".git/HEAD", "ref: refs/heads/other\n");
        await EditBehindItsBackAsync("dist/assets/index.js", "built\n");
        await EditBehindItsBackAsync(".vite/deps/react.js", "optimized\n");

        Assert.Equal(0, await tracked.PublishChangesAsync(CancellationToken.None));
        Assert.Empty(FileEvents);
        Assert.DoesNotContain(_kit.Sandbox.Calls, c => !c.StartsWith("write ", StringComparison.Ordinal)
            && (c.Contains("node_modules", StringComparison.Ordinal) || c.Contains(".git", StringComparison.Ordinal) || c.Contains("dist", StringComparison.Ordinal)));
        Assert.Equal(1, tracked.Count);
    }

    [Fact]
    public async Task Files_whose_size_and_time_are_unchanged_are_not_read_again()
    {
        _kit.Sandbox.Seed("src/a.ts", "a\n").Seed("src/b.ts", "b\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);
        Assert.Contains("read src/a.ts", _kit.Sandbox.Calls);
        _kit.Sandbox.Calls.Clear();

        await EditBehindItsBackAsync("src/b.ts", "B\n");

        Assert.Equal(1, await tracked.PublishChangesAsync(CancellationToken.None));
        Assert.Contains("read src/b.ts", _kit.Sandbox.Calls);
        Assert.DoesNotContain("read src/a.ts", _kit.Sandbox.Calls);
        Assert.Equal("src/b.ts", Text(Assert.Single(FileEvents), "path"));
    }

    [Fact]
    public async Task A_same_size_rewrite_right_after_a_look_is_still_found_by_its_content()
    {
        _kit.Sandbox.Now = _time.GetUtcNow();
        _kit.Sandbox.Seed("src/a.ts", "aaaa\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);

        // Same size, same (coarse) timestamp as when it was recorded.
        await _kit.Sandbox.WriteAsync("src/a.ts", new MemoryStream("bbbb\n"u8.ToArray()), CancellationToken.None);

        Assert.Equal(1, await tracked.PublishChangesAsync(CancellationToken.None));
        Assert.Contains("+bbbb", Text(Assert.Single(FileEvents), "diff"));
    }

    [Fact]
    public async Task Past_the_byte_budget_a_change_is_announced_without_a_diff()
    {
        _options.MaxTotalBytes = 4;
        _kit.Sandbox.Seed("src/big.ts", "0123456789\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);

        await EditBehindItsBackAsync("src/big.ts", "0123456789 and more\n");

        Assert.Equal(1, await tracked.PublishChangesAsync(CancellationToken.None));
        var changed = Assert.Single(FileEvents);
        Assert.Equal("too_large", Text(changed, "diff_omitted"));
        Assert.Equal(JsonValueKind.Null, changed.Payload!.Value.GetProperty("diff").ValueKind);
        Assert.Equal(20, changed.Payload!.Value.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task Past_MaxFiles_the_walk_stops_and_files_not_reached_are_not_taken_for_deleted()
    {
        _options.MaxFiles = 3;
        _kit.Sandbox.Seed("a.ts", "a\n").Seed("b.ts", "b\n").Seed("c.ts", "c\n").Seed("d.ts", "d\n").Seed("e.ts", "e\n");
        var tracked = await Tracker().StartAsync(AgentKit.SandboxId, CancellationToken.None);
        Assert.Equal(3, tracked.Count);

        // A new first file pushes c.ts past the limit of this walk: it is still there, so it is not announced as deleted.
        await EditBehindItsBackAsync("0.ts", "zero\n");

        Assert.Equal(1, await tracked.PublishChangesAsync(CancellationToken.None));
        Assert.Equal("0.ts", Text(Assert.Single(FileEvents), "path"));
        Assert.Contains("stat c.ts", _kit.Sandbox.Calls);
    }

    [Fact]
    public async Task Adapters_that_write_through_the_workspace_are_passed_through_untracked()
    {
        var replay = _kit.Replay();
        Assert.False(((IAgentAdapter)replay).EditsWorkspaceDirectly);
        var events = replay.RunTurnAsync(_kit.Turn("x"), CancellationToken.None);

        Assert.Same(events, Tracker().Track(AgentKit.SandboxId, replay, events, CancellationToken.None));
        Assert.Empty(_kit.Sandbox.Calls);
    }

    private sealed class Fixed(WorkspaceChangeOptions value) : IOptionsMonitor<WorkspaceChangeOptions>
    {
        public WorkspaceChangeOptions CurrentValue => value;

        public WorkspaceChangeOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<WorkspaceChangeOptions, string?> listener) => null;
    }
}
