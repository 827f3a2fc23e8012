using LivePreview.Agents;
using LivePreview.Agents.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static LivePreview.Tests.Agents.AnthropicWire;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>The real OpenCode server from the tools layer, as a host process with a cleared environment, against the fake Anthropic Messages API.</summary>
public sealed class OpenCodeTests : IAsyncLifetime
{
    private const string RealKey = "sk-ant-REAL-KEY-must-not-leak-0c1d";

    private readonly AgentKit _kit = new();
    private FakeModelServer _model = null!;
    private HostAgentProcessHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_kit.Timeline);
        // OpenCode names each new session with a small-model request; it is answered outside the script.
        _model.Always(r => r.Body.ValueKind == System.Text.Json.JsonValueKind.Object && r.Body.TryGetProperty("system", out var system)
            && system.GetRawText().Contains("title generator", StringComparison.Ordinal), Text("A title"));
        _host = new HostAgentProcessHost(ClaudeCodeTests.Tools.Directory, _model.BaseUrl, _model.BaseUrl + "/v1");
        _kit.Options.Anthropic = new AnthropicAgentOptions { ApiKey = RealKey, Model = "claude-test" };
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    private OpenCodeAdapter Adapter(IAgentQuestions? questions = null, CliAgentOptions? cli = null) =>
        new(_host.For(AgentKit.SandboxId), questions, ClaudeCodeTests.Tools, _kit.Monitor, new CliOptions(cli ?? new CliAgentOptions()), NullLogger<OpenCodeAdapter>.Instance);

    private ToolUse Bash(string id, string command) => new(id, "bash", new { command, description = "Run it" });

    [Fact]
    public async Task A_command_it_wants_to_run_is_a_permission_prompt_and_runs_once_allowed()
    {
        _model.Then(ToolUses(null, Bash("toolu_b1", "mkdir made-by-opencode"))).Then(Text("Made it."));
        var questions = new ScriptedQuestions(_ => ClaudeCodeAdapter.AllowChoice);

        var events = await _kit.RunAsync(Adapter(questions), _kit.Turn("make a folder"));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        var asked = Assert.Single(questions.Asked);
        Assert.True(asked.IsPermission);
        Assert.Equal(OpenCodeAdapter.AgentName, asked.Agent);
        Assert.Equal(AgentKit.SandboxId, asked.SandboxId);
        Assert.Equal("OpenCode asks to use bash: mkdir made-by-opencode", asked.Question);
        Assert.Equal([ClaudeCodeAdapter.AllowChoice, ClaudeCodeAdapter.DenyChoice], asked.Choices);
        Assert.True(Directory.Exists(Path.Combine(_host.Workspace, "made-by-opencode")));
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "bash", Succeeded: true });
    }

    [Fact]
    public async Task A_denied_command_does_not_run_and_the_model_is_told()
    {
        _model.Then(ToolUses(null, Bash("toolu_b1", "mkdir denied-folder"))).Then(Text("Fine, I will not."));
        var questions = new ScriptedQuestions(_ => "no, not now");

        var events = await _kit.RunAsync(Adapter(questions), _kit.Turn("make a folder"));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Single(questions.Asked);
        Assert.False(Directory.Exists(Path.Combine(_host.Workspace, "denied-folder")));
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "bash", Succeeded: false });
        Assert.Contains("did not allow this (no, not now)", _model.Requests[^1].Body.GetProperty("messages").GetRawText());
    }

    [Fact]
    public async Task With_bash_allowed_in_the_settings_nothing_is_asked()
    {
        _model.Then(ToolUses(null, Bash("toolu_b1", "mkdir allowed-folder"))).Then(Text("Done."));
        var questions = new ScriptedQuestions(_ => ClaudeCodeAdapter.DenyChoice);

        var events = await _kit.RunAsync(Adapter(questions, new CliAgentOptions { OpenCodeBashPermission = "allow" }), _kit.Turn("make a folder"));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Empty(questions.Asked);
        Assert.True(Directory.Exists(Path.Combine(_host.Workspace, "allowed-folder")));
    }

    [Fact]
    public async Task A_prompt_writes_a_file_and_a_second_turn_continues_the_session()
    {
        _model
            .Then(ToolUses("Writing it.", new ToolUse("toolu_w1", "write", new { filePath = Path.Combine(_host.Workspace, "src/hello.txt"), content = "hello from opencode\n" })))
            .Then(Text("Written."));
        var adapter = Adapter();

        var events = await _kit.RunAsync(adapter, _kit.Turn("write src/hello.txt about otters"));

        Assert.Equal("hello from opencode\n", await File.ReadAllTextAsync(Path.Combine(_host.Workspace, "src/hello.txt")));
        var session = Assert.IsType<AgentSessionState>(events[0]);
        Assert.StartsWith("ses_", session.ResumeToken);
        Assert.Contains(events, e => e is AgentToolCalled { Tool: "write", Path: "src/hello.txt" });
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "write", Succeeded: true, Path: "src/hello.txt" });
        Assert.Contains(events, e => e is AgentTextDelta);
        var completed = Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Equal("Written.", completed.Summary);
        Assert.True(completed.InputTokens > 0);
        Assert.All(_model.Requests, r => Assert.Equal(HostAgentProcessHost.ModelToken, r.Headers["x-api-key"]));
        Assert.DoesNotContain(_host.Starts[0].Environment.Values, v => v.Contains(RealKey, StringComparison.Ordinal));

        _model.Then(Text("They were otters."));
        var next = await _kit.RunAsync(adapter, _kit.Turn("what was the file about?") with { ResumeToken = session.ResumeToken });

        Assert.Equal("They were otters.", Assert.IsType<AgentTurnCompleted>(next[^1]).Summary);
        Assert.Equal(session.ResumeToken, Assert.IsType<AgentSessionState>(next[0]).ResumeToken);
        var history = _model.Requests[^1].Body.GetProperty("messages").GetRawText();
        Assert.Contains("write src/hello.txt about otters", history);
        Assert.Contains("what was the file about?", history);
        foreach (var file in Directory.EnumerateFiles(_host.Root, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(RealKey, await File.ReadAllTextAsync(file));
        }
    }

    [Fact]
    public async Task Abort_interrupts_the_turn_mid_stream()
    {
        _model.Then(Holds("Let me think"));
        using var interrupt = new CancellationTokenSource();
        var events = new List<AgentEvent>();
        var running = Task.Run(async () =>
        {
            await foreach (var e in Adapter().RunTurnAsync(_kit.Turn("think hard"), interrupt.Token))
            {
                events.Add(e);
            }
        });
        await _model.WaitForRequestsAsync(1);

        await interrupt.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.IsType<AgentSessionState>(events[0]);
        Assert.DoesNotContain(events, e => e is AgentTurnCompleted or AgentFailed);
        Assert.Contains("request 1 aborted", _kit.Timeline.Entries);
    }

    private sealed class CliOptions(CliAgentOptions value) : IOptionsMonitor<CliAgentOptions>
    {
        public CliAgentOptions CurrentValue => value;

        public CliAgentOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<CliAgentOptions, string?> listener) => null;
    }
}
