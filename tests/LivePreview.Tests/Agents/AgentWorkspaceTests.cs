using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Events;
using Microsoft.Extensions.AI;

namespace LivePreview.Tests.Agents;

public sealed class AgentWorkspaceTests
{
    private readonly AgentKit _kit = new();

    [Fact]
    public async Task Listing_walks_the_project_but_skips_dependencies_vcs_and_build_output()
    {
        foreach (var path in new[] { "package.json", "src/App.tsx", "src/components/Nav.tsx", "node_modules/react/index.js", ".git/HEAD", ".next/x", "dist/a.js", ".vite/deps/b.js", ".livepreview/export.bundle" })
        {
            _kit.Sandbox.Seed(path, "x");
        }

        var files = await _kit.Workspace.ListFilesAsync(null, default);

        Assert.Equal(["package.json", "src/App.tsx", "src/components/Nav.tsx"], files);
        Assert.Equal(["src/App.tsx", "src/components/Nav.tsx"], await _kit.Workspace.ListFilesAsync("src", default));
    }

    [Fact]
    public async Task Listing_stops_at_the_limit_and_the_tool_says_so()
    {
        _kit.Options.MaxListedFiles = 3;
        for (var i = 0; i < 10; i++)
        {
            _kit.Sandbox.Seed($"src/f{i}.ts", "x");
        }

        Assert.Equal(3, (await _kit.Workspace.ListFilesAsync(null, default)).Count);
        var result = await InvokeAsync("list_files", new { });
        Assert.Contains("stopped at 3 files", Assert.IsType<string>(result.Result.Result));
    }

    [Fact]
    public async Task A_write_goes_through_workspace_files_and_is_announced_as_the_agents()
    {
        await _kit.Workspace.WriteFileAsync("./src//New.tsx", "export {}\n", default);

        Assert.Equal("export {}\n", _kit.Sandbox.Text("src/New.tsx"));
        var changed = Assert.Single(_kit.Events.OfType(EventTypes.FileChanged));
        Assert.Equal("src/New.tsx", changed.EntityId);
        Assert.Equal("agent", changed.Payload!.Value.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("../../etc/passwd", "'..'")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("src/..%2F..%2Fsecret", "'..'")]
    [InlineData("C:/Windows/win.ini", "absolute")]
    [InlineData("", "required")]
    [InlineData("node_modules/react/index.js", "node_modules/")]
    [InlineData(".git/config", ".git/")]
    public async Task Bad_paths_become_messages_for_the_model_and_never_reach_the_disk(string path, string expected)
    {
        var ws = _kit.Workspace;
        var attempts = new Func<Task>[]
        {
            () => ws.WriteFileAsync(path, "x", default),
            () => ws.ReplaceTextAsync(path, "a", "b", default),
            () => ws.DeleteFileAsync(path, default),
        };
        foreach (var attempt in attempts)
        {
            var refused = await Assert.ThrowsAsync<AgentToolException>(attempt);
            Assert.Contains(expected, refused.Message);
        }
        if (!path.StartsWith("node_modules", StringComparison.Ordinal) && !path.StartsWith(".git", StringComparison.Ordinal))
        {
            Assert.Contains(expected, (await Assert.ThrowsAsync<AgentToolException>(() => ws.ReadFileAsync(path, default))).Message);
        }
        Assert.Empty(_kit.Sandbox.Calls);
        Assert.Empty(_kit.Events.Events);
    }

    [Fact]
    public async Task Reading_a_missing_a_binary_or_an_oversized_file_is_refused_with_a_reason()
    {
        _kit.Options.MaxReadBytes = 10;
        _kit.Sandbox.Seed("big.txt", new string('a', 11)).Seed("logo.png", "PNG\0\0").Seed("ok.txt", "small");

        Assert.Equal("small", await _kit.Workspace.ReadFileAsync("ok.txt", default));
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReadFileAsync("nope.txt", default))).Message);
        Assert.Contains("10-byte limit", (await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReadFileAsync("big.txt", default))).Message);
        Assert.Contains("binary", (await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReadFileAsync("logo.png", default))).Message);
    }

    [Fact]
    public async Task A_write_over_the_size_limit_is_refused_whole()
    {
        var refused = await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.WriteFileAsync("big.txt", new string('a', 65 * 1024), default));

        Assert.Contains("limit", refused.Message);
        Assert.Null(_kit.Sandbox.Text("big.txt"));
    }

    [Fact]
    public async Task Replace_text_changes_exactly_one_occurrence_and_explains_when_it_cannot()
    {
        _kit.Sandbox.Seed("a.txt", "one two two three");

        await _kit.Workspace.ReplaceTextAsync("a.txt", "one", "ONE", default);
        var none = await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReplaceTextAsync("a.txt", "four", "4", default));
        var several = await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReplaceTextAsync("a.txt", "two", "2", default));
        var empty = await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.ReplaceTextAsync("a.txt", "", "x", default));

        Assert.Equal("ONE two two three", _kit.Sandbox.Text("a.txt"));
        Assert.Contains("Read the file again", none.Message);
        Assert.Contains("copy old_text exactly", none.Message);
        Assert.Contains("occurs 2 times", several.Message);
        Assert.Contains("surrounding lines", several.Message);
        Assert.Contains("empty", empty.Message);
    }

    [Fact]
    public async Task Delete_removes_one_file_and_refuses_folders_and_missing_files()
    {
        _kit.Sandbox.Seed("src/a.ts", "x").Seed("src/b.ts", "y");

        await _kit.Workspace.DeleteFileAsync("src/a.ts", default);

        Assert.Null(_kit.Sandbox.Text("src/a.ts"));
        Assert.Single(_kit.Events.OfType(EventTypes.FileDeleted));
        Assert.Contains("directory", (await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.DeleteFileAsync("src", default))).Message);
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<AgentToolException>(() => _kit.Workspace.DeleteFileAsync("src/a.ts", default))).Message);
        Assert.Equal("y", _kit.Sandbox.Text("src/b.ts"));
    }

    [Fact]
    public void The_tools_are_named_for_the_model_with_snake_case_parameters()
    {
        var tools = new AgentTools(_kit.Workspace, _kit.Options).Functions;

        Assert.Equal(["list_files", "read_file", "write_file", "replace_text", "delete_file"], tools.Select(t => t.Name));
        var replace = tools.Single(t => t.Name == "replace_text").JsonSchema.GetProperty("properties");
        Assert.Equal(["path", "old_text", "new_text"], replace.EnumerateObject().Select(p => p.Name));
        Assert.All(tools, t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
    }

    [Fact]
    public async Task A_tool_call_event_names_the_normalized_path_and_shortens_long_content()
    {
        _kit.Options.MaxEventArgumentChars = 10;
        var tools = new AgentTools(_kit.Workspace, _kit.Options);
        var call = Call("write_file", new { path = "./src/x.ts", content = new string('a', 50) });

        var called = tools.Describe(call);
        var outcome = await tools.InvokeAsync(call, default);

        Assert.Equal("src/x.ts", called.Path);
        Assert.Equal("aaaaaaaaaa… (40 more characters)", JsonDocument.Parse(called.ArgumentsJson).RootElement.GetProperty("content").GetString());
        Assert.Equal(new string('a', 50), _kit.Sandbox.Text("src/x.ts"));
        Assert.True(outcome.Completed.Succeeded);
        Assert.Equal("src/x.ts", outcome.Completed.Path);
    }

    [Fact]
    public async Task An_unknown_tool_or_unparseable_arguments_come_back_as_errors_for_the_model()
    {
        var tools = new AgentTools(_kit.Workspace, _kit.Options);
        var broken = new FunctionCallContent("c2", "write_file", null) { Exception = new JsonException("Unexpected end") };

        var unknown = await tools.InvokeAsync(Call("run_shell", new { command = "rm -rf /" }), default);
        var unparseable = await tools.InvokeAsync(broken, default);

        Assert.False(unknown.Completed.Succeeded);
        Assert.Contains("no tool 'run_shell'", Assert.IsType<string>(unknown.Result.Result));
        Assert.Contains("not valid JSON", Assert.IsType<string>(unparseable.Result.Result));
        Assert.Empty(_kit.Sandbox.Calls);
    }

    private Task<ToolCallOutcome> InvokeAsync(string tool, object arguments) =>
        new AgentTools(_kit.Workspace, _kit.Options).InvokeAsync(Call(tool, arguments), default);

    private static FunctionCallContent Call(string tool, object arguments) =>
        new("c1", tool, JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value));
}
