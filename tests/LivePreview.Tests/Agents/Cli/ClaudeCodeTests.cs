using Microsoft.Extensions.Logging;
using System.Text.Json;
using LivePreview.Agents;
using LivePreview.Agents.Cli;
using LivePreview.Hosting;
using LivePreview.Workspaces;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static LivePreview.Tests.Agents.AnthropicWire;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// The real Claude Code binary from the tools layer, as a host process with a cleared environment, against
/// the fake Anthropic Messages API: only the model is faked.
/// </summary>
public sealed class ClaudeCodeTests : IAsyncLifetime
{
    /// <summary>What the service holds as the provider key; it must never reach the CLI.</summary>
    private const string RealKey = "sk-ant-REAL-KEY-must-not-leak-7f3c";

    private readonly AgentKit _kit = new();
    private FakeModelServer _model = null!;
    private HostAgentProcessHost _host = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_kit.Timeline);
        _host = new HostAgentProcessHost(Tools.Directory, _model.BaseUrl, _model.BaseUrl + "/v1");
        _kit.Options.Anthropic = new AnthropicAgentOptions { ApiKey = RealKey, Model = "claude-test" };
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    internal static AgentToolsLayer Tools { get; } = new(
        Options.Create(new CliAgentOptions { ToolsRoot = Environment.GetEnvironmentVariable("LIVEPREVIEW_AGENT_TOOLS_ROOT") ?? "/opt/livepreview/tools/agents" }),
        Options.Create(new LivePreviewOptions()), NullLogger<AgentToolsLayer>.Instance);

    private ClaudeCodeAdapter Adapter(IAgentQuestions? questions = null, CliAgentOptions? cli = null) =>
        new(_host.For(AgentKit.SandboxId), questions, Tools, _kit.Monitor, new Monitor<CliAgentOptions>(cli ?? new CliAgentOptions()), NullLogger<ClaudeCodeAdapter>.Instance);

    private string Abs(string relative) => Path.Combine(_host.Workspace, relative);

    [Fact]
    public void The_tools_layer_is_installed_and_the_adapter_is_available()
    {
        Assert.True(Tools.IsInstalled, Tools.Problem);
        Assert.Equal(AgentAvailability.Ready, Adapter().CheckAvailability(null));
    }

    [Fact]
    public void Availability_says_what_is_missing()
    {
        var noHost = new ClaudeCodeAdapter(null, null, Tools, _kit.Monitor, new Monitor<CliAgentOptions>(new CliAgentOptions()), NullLogger<ClaudeCodeAdapter>.Instance);
        Assert.Contains("IAgentProcessHost", noHost.CheckAvailability(null).Problem);

        var missingLayer = new AgentToolsLayer(Options.Create(new CliAgentOptions { ToolsRoot = Path.Combine(_host.Root, "no-tools") }),
            Options.Create(new LivePreviewOptions()), NullLogger<AgentToolsLayer>.Instance);
        var noLayer = new ClaudeCodeAdapter(_host.For(AgentKit.SandboxId), null, missingLayer, _kit.Monitor, new Monitor<CliAgentOptions>(new CliAgentOptions()), NullLogger<ClaudeCodeAdapter>.Instance);
        Assert.Contains("scripts/setup.sh", noLayer.CheckAvailability(null).Problem);
        Assert.Contains(AgentToolsLayer.Hash, noLayer.CheckAvailability(null).Problem);

        _kit.Options.Anthropic.ApiKey = null;
        Assert.Contains("LivePreview__Agents__Anthropic__ApiKey", Adapter().CheckAvailability(null).Problem);
    }

    [Fact]
    public async Task A_turn_writes_a_file_runs_bash_and_the_cli_never_sees_the_real_key()
    {
        _model
            .Then(ToolUses("Writing it.", new ToolUse("toolu_w1", "Write", new { file_path = Abs("src/hello.txt"), content = "hello from claude code\n" })))
            .Then(ToolUses(null, new ToolUse("toolu_b1", "Bash", new { command = "echo bash-says-hi", description = "Say hi" })))
            .Then(ToolUses(null, new ToolUse("toolu_b2", "Bash", new { command = "env", description = "Show the environment" })))
            .Then(Text("All done."));
        var questions = new ScriptedQuestions(_ => ClaudeCodeAdapter.AllowChoice);

        var events = await _kit.RunAsync(Adapter(questions), _kit.Turn("Write src/hello.txt, then say hi in bash"));

        Assert.Equal("hello from claude code\n", await File.ReadAllTextAsync(Abs("src/hello.txt")));
        Assert.IsType<AgentSessionState>(events[0]);
        Assert.True(Guid.TryParse(((AgentSessionState)events[0]).ResumeToken, out _));
        Assert.Contains(events, e => e is AgentTextDelta { Text: "Writing it." });
        var written = Assert.Single(events.OfType<AgentToolCalled>(), c => c.Tool == "Write");
        Assert.Equal("src/hello.txt", written.Path);
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "Write", Succeeded: true, Path: "src/hello.txt" });
        Assert.True(_kit.Timeline.IndexOf("called Write src/hello.txt") < _kit.Timeline.IndexOf("completed Write src/hello.txt"));
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "Bash", Succeeded: true, Summary: "bash-says-hi" });
        var completed = Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Equal("All done.", completed.Summary);
        Assert.True(completed.InputTokens > 0 && completed.OutputTokens > 0);

        // Only the Messages API was called, each time with the sandbox's token, never the real key.
        Assert.All(_model.Requests, r => Assert.Equal("/v1/messages", r.Path));
        Assert.All(_model.Requests, r => Assert.Equal(HostAgentProcessHost.ModelToken, r.Headers["x-api-key"]));
        Assert.Contains("bash-says-hi", ToolResults(_model.Requests[2]));
        var env = ToolResults(_model.Requests[3]);
        Assert.Contains("ANTHROPIC_BASE_URL=" + _model.BaseUrl, env);
        Assert.Contains("ANTHROPIC_API_KEY=" + HostAgentProcessHost.ModelToken, env);
        Assert.DoesNotContain(RealKey, env);
        var start = Assert.Single(_host.Starts);
        Assert.DoesNotContain(start.Environment.Values, v => v.Contains(RealKey, StringComparison.Ordinal));
        Assert.DoesNotContain(start.Command, a => a.Contains(RealKey, StringComparison.Ordinal));
        Assert.DoesNotContain(start.Command, a => a.Contains("Write src/hello.txt", StringComparison.Ordinal));
        // Nor did it land in any file the CLI wrote (its settings and transcripts in HOME, the workspace).
        foreach (var file in Directory.EnumerateFiles(_host.Root, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(RealKey, await File.ReadAllTextAsync(file));
        }
    }

    [Fact]
    public async Task Its_question_and_permission_prompt_go_to_IAgentQuestions_and_the_answers_reach_the_model()
    {
        _model
            .Then(ToolUses(null, new ToolUse("toolu_q1", "AskUserQuestion", new
            {
                questions = new[]
                {
                    new { question = "Which colour should the header be?", header = "Colour", multiSelect = false,
                          options = new[] { new { label = "red", description = "warm" }, new { label = "blue", description = "cool" } } },
                },
            })))
            .Then(ToolUses(null, new ToolUse("toolu_b1", "Bash", new { command = "git init -q repo-by-bash", description = "Make a repository" })))
            .Then(Text("Blue it is."));
        var questions = new ScriptedQuestions(q => q.IsPermission ? ClaudeCodeAdapter.AllowChoice : "blue");

        var events = await _kit.RunAsync(Adapter(questions), _kit.Turn("Ask me about the colour"));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        var asked = questions.Asked;
        Assert.Equal(2, asked.Count);
        Assert.Equal("Which colour should the header be?", asked[0].Question);
        Assert.Equal(["red", "blue"], asked[0].Choices);
        Assert.False(asked[0].IsPermission);
        Assert.Equal(AgentKit.SandboxId, asked[0].SandboxId);
        Assert.Equal(ClaudeCodeAdapter.AgentName, asked[0].Agent);
        Assert.True(asked[1].IsPermission);
        Assert.Contains("git init -q repo-by-bash", asked[1].Question);
        Assert.Equal([ClaudeCodeAdapter.AllowChoice, ClaudeCodeAdapter.DenyChoice], asked[1].Choices);
        // The answer is in the very next model request, as the question's tool result.
        Assert.Contains("\"blue\"", ToolResults(_model.Requests[1]));
        Assert.True(Directory.Exists(Abs("repo-by-bash/.git")));
    }

    [Fact]
    public async Task A_denied_permission_prompt_is_refused_and_the_model_is_told()
    {
        _model
            .Then(ToolUses(null, new ToolUse("toolu_b1", "Bash", new { command = "git init -q denied-repo", description = "Make a repository" })))
            .Then(Text("Fine, I will not."));
        var questions = new ScriptedQuestions(_ => ClaudeCodeAdapter.DenyChoice);

        var events = await _kit.RunAsync(Adapter(questions), _kit.Turn("Make a repository"));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Single(questions.Asked);
        Assert.Contains(events, e => e is AgentToolCompleted { Tool: "Bash", Succeeded: false });
        Assert.False(Directory.Exists(Abs("denied-repo")));
        Assert.Contains("did not allow", ToolResults(_model.Requests[1]));
    }

    [Fact]
    public async Task Interrupted_mid_turn_it_stops_and_the_next_turn_resumes_the_same_conversation()
    {
        _model.Then(Holds("Let me think about the first"));
        var adapter = Adapter();
        using var interrupt = new CancellationTokenSource();
        var events = new List<AgentEvent>();
        var running = Task.Run(async () =>
        {
            await foreach (var e in adapter.RunTurnAsync(_kit.Turn("remember the word pelican"), interrupt.Token))
            {
                events.Add(e);
            }
        });
        await _model.WaitForRequestsAsync(1);

        await interrupt.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var session = Assert.IsType<AgentSessionState>(events[0]);
        Assert.DoesNotContain(events, e => e is AgentTurnCompleted or AgentFailed);
        Assert.Contains("request 1 aborted", _kit.Timeline.Entries);

        _model.Then(Text("You said pelican."));
        var resumed = await _kit.RunAsync(adapter, _kit.Turn("which word was it?") with { ResumeToken = session.ResumeToken });

        Assert.Equal("You said pelican.", Assert.IsType<AgentTurnCompleted>(resumed[^1]).Summary);
        Assert.Equal(2, _host.Starts.Count);
        Assert.Contains("--resume", _host.Starts[1].Command);
        Assert.Contains(session.ResumeToken, _host.Starts[1].Command);
        var next = _model.Requests[^1].Body.GetProperty("messages").GetRawText();
        Assert.Contains("remember the word pelican", next);
        Assert.Contains("which word was it?", next);
        Assert.True(next.IndexOf("remember the word pelican", StringComparison.Ordinal) < next.IndexOf("which word was it?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Its_own_edits_are_announced_once_each_as_FILE_CHANGED_with_the_diff_before_the_tool_completes()
    {
        Directory.CreateDirectory(Abs("src"));
        await File.WriteAllTextAsync(Abs("src/seed.txt"), "alpha\nbeta\ngamma\n");
        _model
            .Then(ToolUses(null, new ToolUse("toolu_r1", "Read", new { file_path = Abs("src/seed.txt") })))
            .Then(ToolUses(null, new ToolUse("toolu_e1", "Edit", new { file_path = Abs("src/seed.txt"), old_string = "beta", new_string = "BETA" })))
            .Then(ToolUses(null, new ToolUse("toolu_w1", "Write", new { file_path = Abs("src/new.txt"), content = "brand new\n" })))
            .Then(Text("Edited."));
        var adapter = Adapter(new ScriptedQuestions(_ => ClaudeCodeAdapter.AllowChoice));
        var workspace = new HostWorkspaceProvider(_host.Workspace);
        var files = new WorkspaceFiles(workspace, _kit.Events, Options.Create(new WorkspaceFilesOptions()));
        var tracker = new WorkspaceChangeTracker(workspace, files, new Monitor<WorkspaceChangeOptions>(new()), TimeProvider.System, _trackerLog);
        var turn = _kit.Turn("Fix the seed and add a file");
        var seen = new List<AgentEvent>();
        var fileEventsWhenSeen = new List<int>();

        await foreach (var e in tracker.Track(AgentKit.SandboxId, adapter, adapter.RunTurnAsync(turn, CancellationToken.None), CancellationToken.None))
        {
            seen.Add(e);
            fileEventsWhenSeen.Add(_kit.Events.OfType(global::LivePreview.Events.EventTypes.FileChanged).Count);
        }

        Assert.IsType<AgentTurnCompleted>(seen[^1]);
        Assert.Empty(_trackerLog.Failures);
        var changes = _kit.Events.OfType(global::LivePreview.Events.EventTypes.FileChanged);
        Assert.Equal(2, changes.Count);
        Assert.Empty(_kit.Events.OfType(global::LivePreview.Events.EventTypes.FileDeleted));
        var edited = changes[0].Payload!.Value;
        Assert.Equal("src/seed.txt", edited.GetProperty("path").GetString());
        Assert.Equal("agent", edited.GetProperty("source").GetString());
        Assert.False(edited.GetProperty("created").GetBoolean());
        var diff = edited.GetProperty("diff").GetString()!;
        Assert.StartsWith("--- a/src/seed.txt\n+++ b/src/seed.txt\n@@ ", diff);
        Assert.Contains("\n alpha\n-beta\n+BETA\n gamma\n", diff);
        var written = changes[1].Payload!.Value;
        Assert.Equal("src/new.txt", written.GetProperty("path").GetString());
        Assert.True(written.GetProperty("created").GetBoolean());
        Assert.Contains("+brand new", written.GetProperty("diff").GetString());
        // Each change was published before its tool's completion reached the consumer, and the Read changed nothing.
        var readDone = seen.FindIndex(e => e is AgentToolCompleted { Tool: "Read" });
        var editDone = seen.FindIndex(e => e is AgentToolCompleted { Tool: "Edit", Succeeded: true });
        var writeDone = seen.FindIndex(e => e is AgentToolCompleted { Tool: "Write", Succeeded: true });
        Assert.Equal(0, fileEventsWhenSeen[readDone]);
        Assert.Equal(1, fileEventsWhenSeen[editDone]);
        Assert.Equal(2, fileEventsWhenSeen[writeDone]);
    }

    [Fact]
    public async Task A_model_error_ends_the_turn_as_failed()
    {
        _model.Otherwise(Error(400, "invalid_request_error", "the test refuses this request"));

        var events = await _kit.RunAsync(Adapter(), _kit.Turn("hello"));

        var failed = Assert.IsType<AgentFailed>(events[^1]);
        Assert.Equal("Claude Code ended the turn with API Error: 400 the test refuses this request", failed.Message);
        Assert.DoesNotContain(events, e => e is AgentTextDelta);
    }

    /// <summary>The text of the tool results the CLI sent back in a model request.</summary>
    private static string ToolResults(RecordedRequest request) =>
        string.Join("\n", request.Body.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "user" && m.GetProperty("content").ValueKind == JsonValueKind.Array)
            .SelectMany(m => m.GetProperty("content").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "tool_result" && b.TryGetProperty("content", out _))
            .Select(b => b.GetProperty("content") is { ValueKind: JsonValueKind.String } text ? text.GetString()
                : string.Join("\n", b.GetProperty("content").EnumerateArray().Where(c => c.TryGetProperty("text", out _)).Select(c => c.GetProperty("text").GetString()))));

    private readonly FailureLog<WorkspaceChangeTracker> _trackerLog = new();

    /// <summary>Keeps the exceptions logged, so a test can show that nothing failed quietly.</summary>
    private sealed class FailureLog<T> : ILogger<T>
    {
        public List<Exception> Failures { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null)
            {
                Failures.Add(exception);
            }
        }
    }

    private sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
