using System.Text;
using LivePreview.Events;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Snapshots;
using LivePreview.Workspaces;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Workspaces;

public sealed class FileDiffTests
{
    private readonly InMemorySandbox _sandbox = new(new Timeline());
    private readonly RecordingEventBus _bus = new();
    private readonly WorkspaceFilesOptions _options = new() { MaxDiffSourceBytes = 4096, MaxDiffBytes = 400 };

    private WorkspaceFiles Files() => new(_sandbox, _bus, Options.Create(_options));

    private static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task An_edit_carries_the_unified_diff_of_exactly_what_changed()
    {
        _sandbox.Seed("src/App.tsx", "line 1\nline 2\nline 3\n");

        await Files().WriteAsync("sb", "src/App.tsx", Text("line 1\nline two\nline 3\n"), "api", CancellationToken.None);

        var payload = Assert.Single(_bus.OfType(EventTypes.FileChanged)).Payload!.Value;
        var diff = payload.GetProperty("diff").GetString()!;
        Assert.Contains("--- a/src/App.tsx", diff);
        Assert.Contains("+++ b/src/App.tsx", diff);
        Assert.Contains("\n-line 2\n", diff);
        Assert.Contains("\n+line two\n", diff);
        Assert.Contains("\n line 1\n", diff);
        // Exactly the three lines, no empty line after the final break.
        Assert.Contains("@@ -1,3 +1,3 @@", diff);
        Assert.EndsWith("\n line 3\n", diff);
        Assert.False(payload.GetProperty("created").GetBoolean());
        Assert.False(payload.GetProperty("diff_truncated").GetBoolean());
    }

    [Fact]
    public async Task A_new_file_diffs_against_nothing_and_a_deleted_one_to_nothing()
    {
        await Files().WriteAsync("sb", "src/New.tsx", Text("hello\n"), "api", CancellationToken.None);
        await Files().DeleteAsync("sb", "src/New.tsx", "api", CancellationToken.None);

        var created = Assert.Single(_bus.OfType(EventTypes.FileChanged)).Payload!.Value;
        Assert.True(created.GetProperty("created").GetBoolean());
        Assert.Contains("--- /dev/null", created.GetProperty("diff").GetString());
        Assert.EndsWith("\n+hello\n", created.GetProperty("diff").GetString());
        var deleted = Assert.Single(_bus.OfType(EventTypes.FileDeleted)).Payload!.Value.GetProperty("diff").GetString()!;
        Assert.Contains("+++ /dev/null", deleted);
        Assert.EndsWith("\n-hello\n", deleted);
    }

    [Fact]
    public async Task Adding_only_the_final_line_break_is_still_a_change_with_a_diff()
    {
        _sandbox.Seed("a.txt", "a\nb");

        await Files().WriteAsync("sb", "a.txt", Text("a\nb\n"), "api", CancellationToken.None);

        var diff = Assert.Single(_bus.OfType(EventTypes.FileChanged)).Payload!.Value.GetProperty("diff").GetString()!;
        Assert.Contains("\n+", diff);
    }

    [Fact]
    public async Task Binary_and_oversized_content_get_a_reason_instead_of_a_diff_and_a_long_diff_is_cut_at_a_line()
    {
        await Files().WriteAsync("sb", "logo.bin", new MemoryStream([1, 0, 2, 0xff]), "api", CancellationToken.None);
        await Files().WriteAsync("sb", "big.txt", Text(new string('x', 5000)), "api", CancellationToken.None);
        await Files().WriteAsync("sb", "long.txt", Text(string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i}\n"))), "api", CancellationToken.None);

        var events = _bus.OfType(EventTypes.FileChanged).Select(e => e.Payload!.Value).ToList();
        Assert.Equal("binary", events[0].GetProperty("diff_omitted").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, events[0].GetProperty("diff").ValueKind);
        Assert.Equal("too_large", events[1].GetProperty("diff_omitted").GetString());
        var cut = events[2].GetProperty("diff").GetString()!;
        Assert.True(events[2].GetProperty("diff_truncated").GetBoolean());
        Assert.True(Encoding.UTF8.GetByteCount(cut) <= 400);
        Assert.EndsWith("\n", cut);
    }
}
