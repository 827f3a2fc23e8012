using LivePreview.Gateway;
using LivePreview.Tests.Support;
using static LivePreview.Tests.Agents.AnthropicWire;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// The real OpenCode server from the tools layer running inside a real sandbox of the real service (listening on the
/// sandbox's address, where the service reaches it), driven through the session API against the fake model.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class OpenCodeInSandboxTests : IAsyncLifetime
{
    private readonly Timeline _timeline = new();
    private SandboxAgentKit _kit = null!;

    public async Task InitializeAsync()
    {
        _kit = await SandboxAgentKit.StartAsync(_timeline);
        // OpenCode names each new session with a small-model request; it is answered outside the script.
        _kit.Model.Always(r => r.Body.ValueKind == System.Text.Json.JsonValueKind.Object && r.Body.TryGetProperty("system", out var system)
            && system.GetRawText().Contains("title generator", StringComparison.Ordinal), Text("A title"));
    }

    public Task DisposeAsync() => _kit.DisposeAsync();

    [Fact]
    public async Task OpenCode_in_the_sandbox_writes_a_file_the_preview_serves_and_no_provider_key_reaches_the_sandbox()
    {
        var sandboxId = await _kit.RunningSandboxAsync();
        var token = _kit.Host.Service<GatewayTokens>().For(sandboxId);
        _kit.Model
            .Then(ToolUses("Writing it.", new ToolUse("toolu_w1", "write", new { filePath = "/app/src/opencode.ts", content = "export const by = 'opencode in its sandbox';\n" })))
            .Then(ToolUses(null, new ToolUse("toolu_b1", "bash", new
            {
                command = "for f in /proc/[0-9]*/environ; do echo \"== $f\"; tr '\\0' '\\n' < \"$f\"; done",
                description = "Show every environment",
            })))
            .Then(Text("Written."));

        await _kit.StartSessionAsync(sandboxId, "opencode", "Write src/opencode.ts");
        var completed = await _kit.WaitForSessionAsync(sandboxId, "completed");

        Assert.Contains("Written.", completed.GetProperty("turns")[0].GetProperty("summary").GetString());
        var preview = (await _kit.Host.WaitForPreviewAsync(sandboxId)).GetProperty("preview_url").GetString()!;
        Assert.Contains("opencode in its sandbox", await _kit.Host.Http.GetStringAsync(preview + "src/opencode.ts"));
        var scripted = _kit.Model.Requests.Where(r => !r.Body.GetProperty("system").GetRawText().Contains("title generator", StringComparison.Ordinal)).ToList();
        var environments = ClaudeCodeInSandboxTests.ToolResultText(scripted[2], "toolu_b1");
        Assert.Contains("OPENCODE_CONFIG_CONTENT=", environments);
        Assert.Contains("HOME=/home/sandbox", environments);
        Assert.Contains(token, environments);
        Assert.DoesNotContain(SandboxAgentKit.RealKey, environments);
        Assert.DoesNotContain("LIVEPREVIEW_SANDBOX_TOKEN=", environments);
        await _kit.AssertNoKeyInSandboxAsync(sandboxId);
    }
}
