using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>
/// What CLI agents need of the local provider, against real bubblewrap: a persistent HOME outside the workspace,
/// stderr kept apart from stdout, an environment of exactly what was given, and read-only layers bound in.
/// </summary>
public sealed class AgentProcessSupportTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.250");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Home_survives_stop_and_a_restart_and_is_not_part_of_the_workspace()
    {
        var id = await _harness.CreateAsync();
        var wrote = await _harness.RunAsync(id, "sh", "-c", "mkdir -p /home/sandbox/.claude && echo transcript > /home/sandbox/.claude/session.jsonl && stat -c '%u %a' /home/sandbox");
        Assert.Equal(0, wrote.ExitCode);
        Assert.Equal($"{_harness.Options.SandboxUid} 700", wrote.Output.Trim());

        await _harness.Provider.StopAsync(id, Timeout);
        Assert.Equal("transcript", (await _harness.RunAsync(id, "cat", "/home/sandbox/.claude/session.jsonl")).Output.Trim());
        await _harness.RestartAsync();
        Assert.True(await _harness.Provider.AttachAsync(new SandboxSpec(id, _harness.Snapshot), Timeout));
        Assert.Equal("transcript", (await _harness.RunAsync(id, "cat", "/home/sandbox/.claude/session.jsonl")).Output.Trim());

        // Not in the workspace the dev server serves and checkpoints and exports hold, nor reachable from it.
        var top = await _harness.Provider.Files(id).ListAsync("", Timeout);
        Assert.DoesNotContain(top!, e => e.Name is ".claude" or "home");
        Assert.Empty(Directory.EnumerateFiles(Path.Join(_harness.Root, id, "merged"), "session.jsonl", SearchOption.AllDirectories));
        // And it counts for nothing set-uid: the bind is nosuid like the workspace.
        Assert.Contains("nosuid", (await _harness.RunAsync(id, "sh", "-c", "grep ' /home/sandbox ' /proc/self/mountinfo")).Output);

        await _harness.Provider.DeleteAsync(id, Timeout);
        Assert.DoesNotContain(HomeBind.PathFor(_harness.Root, id), File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(HomeBind.PathFor(_harness.Root, id)));
    }

    [Fact]
    public async Task Separate_errors_keep_stderr_out_of_the_output_and_an_exact_environment_is_all_the_process_gets()
    {
        var id = await _harness.CreateAsync();
        var spec = new SandboxProcessSpec(["sh", "-c", "echo out-1; echo err-1 >&2; env; echo err-2 >&2"],
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["ONLY_THIS"] = "yes" }, SeparateErrors: true, ExactEnvironment: true);
        await using var process = await _harness.Provider.StartProcessAsync(id, spec, Timeout);
        var output = new List<string>();
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            output.Add(line);
        }

        Assert.Equal(0, await process.Exited);
        Assert.Equal("out-1", output[0]);
        Assert.DoesNotContain(output, l => l.StartsWith("err-", StringComparison.Ordinal));
        Assert.Equal("err-1\nerr-2", process.ErrorTail);
        // sh adds PWD (and may add SHLVL, _): nothing else, neither the provider's defaults (HOME, USER, LANG) nor the service's.
        var names = output.Skip(1).Select(l => l.Split('=')[0]).Except(["PWD", "SHLVL", "_", "OLDPWD"]).Order();
        Assert.Equal(["ONLY_THIS", "PATH"], names);

        // Without SeparateErrors both streams are the output. They come through two pipes, so their relative order is
        // whichever the reader saw first (the suite saw "err" before "out" under load): compare the lines, not their order.
        var merged = await _harness.RunAsync(id, "sh", "-c", "echo out; echo err >&2");
        Assert.Equal(["err", "out"], merged.Output.Trim().Split('\n').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_read_only_layer_is_bound_into_every_process_and_cannot_be_changed_from_inside()
    {
        var layer = Directory.CreateDirectory(Path.Join(_harness.Directory, "tools-layer")).FullName;
        File.WriteAllText(Path.Join(layer, "tool.txt"), "a tool\n");
        _harness.Layers.Add(new Layer(layer));
        await _harness.RestartAsync();
        var id = await _harness.CreateAsync();

        var result = await _harness.RunAsync(id, "sh", "-c", "cat /opt/livepreview/agents/tool.txt; touch /opt/livepreview/agents/mine 2>/dev/null && echo writable || echo read-only");

        Assert.Equal("a tool\nread-only", result.Output.Trim());
        Assert.False(File.Exists(Path.Join(layer, "mine")));
    }

    [Fact]
    public async Task A_layer_with_no_folder_is_not_bound_and_processes_still_start()
    {
        _harness.Layers.Add(new Layer(null));
        await _harness.RestartAsync();
        var id = await _harness.CreateAsync();

        var result = await _harness.RunAsync(id, "sh", "-c", "test -e /opt/livepreview/agents && echo bound || echo absent");

        Assert.Equal("absent", result.Output.Trim());
    }

    private sealed class Layer(string? host) : ISandboxReadOnlyLayer
    {
        public string SandboxPath => SandboxPaths.AgentTools;

        public string? HostDirectory => host;
    }
}
