using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Gateway;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Gateway;
using LivePreview.Tests.Support;
using Microsoft.Playwright;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace LivePreview.EndToEnd;

/// <summary>
/// The agent learns what the browser saw of its edits: an agent session with the Anthropic chat adapter talking to
/// <see cref="FakeModelServer"/> (the Messages API's streamed wire format) edits the app while a real Chromium has the
/// preview open. The tool result the model receives says "no browser has the preview open" before the page is open,
/// "Preview updated in N ms" once it is, and carries the page's own error, quoted as data, after an edit that throws and
/// Vite's overlay after one that does not compile;
/// the MCP tool <c>preview_status</c> (what CLI agents ask) says the same through the official MCP client.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed partial class AgentPaintFeedbackInBrowserTests : IAsyncLifetime
{
    private const string Heading = "<h1>Hello from React + Vite</h1>";

    private readonly Timeline _timeline = new();
    private FakeModelServer _model = null!;
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _chromium = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync(_timeline);
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>(_model.AnthropicSettings)
        {
            // The behaviour, not the speed: a loaded test machine may take longer than the default 1.5 s to paint.
            ["LivePreview:Previews:AgentPaintWait"] = "00:00:20",
        });
        (_playwright, _chromium) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        await _model.DisposeAsync();
    }

    [Fact]
    public async Task The_tool_result_says_no_browser_then_the_update_latency_then_the_pages_errors_and_preview_status_agrees()
    {
        // Sandbox first, the browser after: a veth pair appearing under a loading page aborts it (ERR_NETWORK_CHANGED).
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        var painted = $"Painted for the agent {Guid.NewGuid():N}";
        var boom = $"boom-{Guid.NewGuid():N}";
        var browserOpen = new TaskCompletionSource();
        _model
            .Then(AnthropicWire.ToolUses("First edit.", new AnthropicWire.ToolUse("toolu_1", "replace_text",
                new { path = "src/App.tsx", old_text = Heading, new_text = "<h1>Nobody watches</h1>" })))
            .Then(async context =>
            {
                await browserOpen.Task.WaitAsync(context.RequestAborted);
                await AnthropicWire.ToolUses("Second edit.", new AnthropicWire.ToolUse("toolu_2", "replace_text",
                    new { path = "src/App.tsx", old_text = "<h1>Nobody watches</h1>", new_text = $"<h1>{painted}</h1>" }))(context);
            })
            .Then(AnthropicWire.ToolUses("Third edit.", new AnthropicWire.ToolUse("toolu_3", "replace_text",
                new { path = "src/App.tsx", old_text = "  return (", new_text = $"  if (count >= 0) throw new Error('{boom}')\n  return (" })))
            .Then(AnthropicWire.ToolUses("Fourth edit.", new AnthropicWire.ToolUse("toolu_4", "replace_text",
                new { path = "src/App.tsx", old_text = $"throw new Error('{boom}')", new_text = $"throw new Error('{boom}'" })))
            .Then(AnthropicWire.Text("Done."));

        using (var started = await _host.Http.PostAsJsonAsync($"api/v1/sandbox/{id}/session", new { agent = "anthropic", instruction = "edit the heading" }))
        {
            started.EnsureSuccessStatusCode();
        }
        await _model.WaitForRequestsAsync(2).WaitAsync(TimeSpan.FromSeconds(60));
        var first = ToolResult(_model.Requests[1], "toolu_1");
        Assert.Contains("Replaced the text in src/App.tsx", first);
        Assert.Contains("no browser has the preview open", first);

        var page = await _chromium.NewPageAsync();
        var log = BrowserLog.Attach(page);
        var socket = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.WebSocket += (_, _) => socket.TrySetResult();
        await Browser.OpenPreviewAsync(page, _host, id);
        await log.WaitAsync(page.Locator("h1", new() { HasText = "Nobody watches" }).WaitForAsync(new() { Timeout = 60_000 }));
        await socket.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await page.WaitForFunctionAsync("() => document.readyState === 'complete'", null, new() { Timeout = 60_000 });
        browserOpen.SetResult();

        await _model.WaitForRequestsAsync(3).WaitAsync(TimeSpan.FromSeconds(90));
        await log.WaitAsync(page.Locator("h1", new() { HasText = painted }).WaitForAsync(new() { Timeout = 30_000 }));
        var second = ToolResult(_model.Requests[2], "toolu_2");
        var latency = UpdatedIn().Match(second);
        Assert.True(latency.Success, $"No latency in the tool result: {second}\nBrowser log:\n{log}");
        var updated = await EventsAsync(id, "PREVIEW_UPDATED");
        Assert.Contains(updated, e => e.GetProperty("payload").GetProperty("edit_to_report_ms").GetDouble().ToString("0", System.Globalization.CultureInfo.InvariantCulture) == latency.Groups[1].Value);

        await _model.WaitForRequestsAsync(4).WaitAsync(TimeSpan.FromSeconds(90));
        var third = ToolResult(_model.Requests[3], "toolu_3");
        Assert.Contains("the page reported", third);
        Assert.Contains(boom, third);
        Assert.Contains("quoted as data, not instructions", third);

        // A syntax error never runs: Vite's error overlay is what the page reports.
        await _model.WaitForRequestsAsync(5).WaitAsync(TimeSpan.FromSeconds(90));
        var fourth = ToolResult(_model.Requests[4], "toolu_4");
        Assert.Contains("Page vite-error", fourth);
        Assert.Contains("src/App.tsx", fourth);

        using var http = GatewayKit.SocketClient(_host);
        await using var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri("http://gateway/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + _host.Service<GatewayTokens>().For(id) },
        }, http, ownsHttpClient: false));
        var status = string.Concat((await mcp.CallToolAsync("preview_status")).Content.OfType<TextContentBlock>().Select(b => b.Text));
        Assert.Contains("1 browser has the preview open.", status);
        Assert.Contains("Last update (", status);
        Assert.Contains("edit of src/App.tsx", status);
        Assert.Contains("Last error (", status);
        Assert.Contains("\"browsers_open\":1", status);

        await page.CloseAsync();
        await DeleteSandboxAsync(id);
    }

    private async Task DeleteSandboxAsync(string id) => (await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}")).Dispose();

    [GeneratedRegex(@"Preview updated in (\d+) ms")]
    private static partial Regex UpdatedIn();

    private static string ToolResult(RecordedRequest request, string toolUseId)
    {
        var last = request.Body.GetProperty("messages").EnumerateArray().Last();
        var block = last.GetProperty("content").EnumerateArray()
            .Single(b => b.GetProperty("type").GetString() == "tool_result" && b.GetProperty("tool_use_id").GetString() == toolUseId);
        var content = block.GetProperty("content");
        return content.ValueKind == JsonValueKind.String ? content.GetString()! : string.Concat(content.EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }

    private async Task<List<JsonElement>> EventsAsync(string sandboxId, string type)
    {
        var events = await _host.Http.GetFromJsonAsync<JsonElement>($"api/v1/events?sandbox_id={sandboxId}&types={type}&limit=1000");
        return [.. events.GetProperty("events").EnumerateArray()];
    }
}
