using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The session page in Chromium against the real service, a real sandbox and the Anthropic chat adapter talking to
/// <see cref="FakeModelServer"/> (the Messages API's streamed wire format): a session started from the page streams
/// its activity live; the model's <c>ask_user</c> shows as a prompt (also after a reload), the answer clicked in the
/// page reaches the model; Interrupt and Resume move the state badge; the Terminal, Preview and Files tabs work.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class SessionPageTests : IAsyncLifetime
{
    private const string OldHeading = "<h1>Hello from React + Vite</h1>";
    private const string NewHeading = "<h1>Welcome from the session</h1>";

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
            // One start per user and hour: the page's second start meets the API's limit.
            ["LivePreview:RateLimits:SessionCreates:PermitLimit"] = "1",
            ["LivePreview:RateLimits:SessionCreates:Window"] = "01:00:00",
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
    public async Task A_session_page_asks_answers_interrupts_resumes_and_shows_terminal_preview_and_the_edit_side_by_side()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        var resumedGate = new TaskCompletionSource();
        _model
            .Then(AnthropicWire.ToolUses("Let me ask first.", new AnthropicWire.ToolUse("toolu_q", "ask_user", new { question = "Which greeting should the heading use?", choices = new[] { "Hello", "Welcome" } })))
            .Then(AnthropicWire.ToolUses("Changing the heading.", new AnthropicWire.ToolUse("toolu_e", "replace_text", new { path = "src/App.tsx", old_text = OldHeading, new_text = NewHeading })))
            .Then(AnthropicWire.Text("The heading now says Welcome."))
            .Then(AnthropicWire.Holds("Looking at the footer…"))
            .Then(async context =>
            {
                await resumedGate.Task.WaitAsync(context.RequestAborted);
                await AnthropicWire.Text("Added the footer.")(context);
            });
        var page = await _chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        var shots = Browser.ArtifactsDirectory("ui");

        // From the sandbox page's link; the framed app shows once the circuit is up (a click before that would be lost).
        await page.GotoAsync(new Uri(_host.BaseUri, $"sandboxes/{id}").ToString());
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        await page.GetByTestId("session-link").ClickAsync();
        await page.WaitForURLAsync($"**/sandbox/{id}/session");
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        Assert.Equal("none", await page.GetByTestId("session-status").GetAttributeAsync("data-status"));

        await page.GetByTestId("session-agent").SelectOptionAsync("anthropic");
        await page.GetByTestId("session-instruction").FillAsync("Greet the visitor");
        await page.GetByTestId("session-start").ClickAsync();

        // Live: the question arrives while the page is open, with the session's events before it.
        var prompt = page.GetByTestId("question-prompt");
        await log.WaitAsync(prompt.WaitForAsync(new() { Timeout = 60_000 }));
        Assert.Equal("Which greeting should the heading use?", await page.GetByTestId("question-text").TextContentAsync());
        await Expect(page.GetByTestId("session-status"), "waiting_for_answer");
        await page.Locator("[data-testid=session-feed-item][data-type=SESSION_STARTED]").WaitForAsync();
        await page.Locator("[data-testid=session-feed-item][data-type=QUESTION]").WaitForAsync();
        Assert.Single(_model.Requests);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "session-question.png") });

        // A reload shows where things are: the pending question, the state and the past events.
        await page.ReloadAsync();
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));
        await prompt.WaitForAsync();
        await Expect(page.GetByTestId("session-status"), "waiting_for_answer");
        await page.Locator("[data-testid=session-feed-item][data-type=SESSION_STARTED]").WaitForAsync();

        await page.GetByTestId("question-choice").Filter(new() { HasText = "Welcome" }).ClickAsync();
        await Expect(page.GetByTestId("session-status"), "completed", timeout: 60_000);
        Assert.Equal(0, await prompt.CountAsync());
        Assert.Contains("Welcome", ToolResult(_model.Requests[1], "toolu_q"));
        await page.FrameLocator("[data-testid=preview-iframe]").Locator("h1", new() { HasText = "Welcome from the session" })
            .WaitForAsync(new() { Timeout = 30_000 });
        await page.Locator("[data-testid=session-feed-item][data-type=SESSION_COMPLETED]").WaitForAsync();

        // Resume with a new instruction; while the model works, Interrupt; then Resume again: running once more.
        await page.GetByTestId("session-resume-instruction").FillAsync("Now add a footer");
        await page.GetByTestId("session-resume").ClickAsync();
        await Expect(page.GetByTestId("session-status"), "running");
        await _model.WaitForRequestsAsync(4).WaitAsync(TimeSpan.FromSeconds(30));
        await page.GetByTestId("session-interrupt").ClickAsync();
        await Expect(page.GetByTestId("session-status"), "interrupted");
        await page.Locator("[data-testid=session-feed-item][data-type=INTERRUPTED]").WaitForAsync();
        await page.GetByTestId("session-resume-instruction").FillAsync("Try the footer again, smaller");
        await page.GetByTestId("session-resume").ClickAsync();
        await Expect(page.GetByTestId("session-status"), "running");
        await _model.WaitForRequestsAsync(5).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("Try the footer again, smaller", _model.Requests[4].Body.GetProperty("messages").EnumerateArray().Last().GetRawText());
        resumedGate.SetResult();
        await Expect(page.GetByTestId("session-status"), "completed", timeout: 60_000);

        // A new session from the page counts against the same per-user limit as the API's starts; the refusal is said in the page.
        await page.GetByTestId("session-instruction").FillAsync("Start over");
        await page.GetByTestId("session-start").ClickAsync();
        await page.GetByTestId("session-start-problem").WaitForAsync();
        Assert.Contains("Too many", await page.GetByTestId("session-start-problem").TextContentAsync());
        Assert.Contains("LivePreview:RateLimits:SessionCreates", await page.GetByTestId("session-start-problem").TextContentAsync());
        Assert.Equal(5, _model.Requests.Count);

        // Files: the agent's edit of src/App.tsx, side by side.
        await page.GetByTestId("session-files-tab").ClickAsync();
        await page.Locator("[data-testid=file-edit][data-path='src/App.tsx']").ClickAsync();
        var changed = page.Locator("[data-testid=file-diff] [data-kind=changed]");
        await changed.First.WaitForAsync();
        Assert.Equal(OldHeading, (await changed.First.GetByTestId("diff-old").TextContentAsync())!.Trim());
        Assert.Equal(NewHeading, (await changed.First.GetByTestId("diff-new").TextContentAsync())!.Trim());
        Assert.Equal("8", await changed.First.GetByTestId("diff-old-number").TextContentAsync());
        var oldBox = (await changed.First.GetByTestId("diff-old").BoundingBoxAsync())!;
        var newBox = (await changed.First.GetByTestId("diff-new").BoundingBoxAsync())!;
        Assert.True(newBox.X > oldBox.X + oldBox.Width - 1 && Math.Abs(newBox.Y - oldBox.Y) < 1, "the old and new lines sit side by side");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "session-files.png") });

        // Preview: the app, with the edit in it.
        await page.GetByTestId("session-preview-tab").ClickAsync();
        await page.FrameLocator("[data-testid=preview-iframe]").Locator("h1", new() { HasText = "Welcome from the session" }).WaitForAsync();

        // Terminal: a command's output, Ctrl-C of a foreground sleep, and the window's size followed.
        await page.GetByTestId("session-terminal-tab").ClickAsync();
        await log.WaitAsync(page.Locator("[data-testid=terminal][data-state=open]").WaitForAsync(new() { Timeout = 60_000 }));
        await log.WaitAsync(page.WaitForFunctionAsync($"() => window.__lpTerminals?.['{id}']?.buffer().trim().length > 0", null, new() { Timeout = 60_000 }));
        await page.GetByTestId("terminal").ClickAsync();
        var marker = $"hello-{Guid.NewGuid():N}";
        await page.Keyboard.TypeAsync($"echo {marker}");
        await page.Keyboard.PressAsync("Enter");
        await TerminalInPage.WaitForLineAsync(page, id, $"^{marker}$");
        await TerminalInPage.CtrlCStopsASleepAsync(page, id);
        var before = await page.EvaluateAsync<int[]>($"() => {{ const s = window.__lpTerminals['{id}'].size(); return [s.rows, s.cols]; }}");
        await page.SetViewportSizeAsync(1100, 700);
        await page.WaitForFunctionAsync($"size => {{ const s = window.__lpTerminals['{id}'].size(); return s.rows !== size[0] || s.cols !== size[1]; }}", before);
        await page.Keyboard.TypeAsync("echo size=$(stty size)");
        await page.Keyboard.PressAsync("Enter");
        var after = await page.EvaluateAsync<int[]>($"() => {{ const s = window.__lpTerminals['{id}'].size(); return [s.rows, s.cols]; }}");
        await TerminalInPage.WaitForLineAsync(page, id, $"^size={after[0]} {after[1]}$");
        Assert.True(after[1] < before[1], $"{before[0]}x{before[1]} -> {after[0]}x{after[1]}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "session-terminal.png") });

        await page.GotoAsync(new Uri(_host.BaseUri, "sandbox/sbnosuchbox/session").ToString());
        await page.GetByTestId("session-sandbox-gone").WaitForAsync();
        await page.CloseAsync();

        // Someone else's sandbox is the same not-found view (the API's 404): no session, question or event of it shows.
        using var keyResponse = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user = "mallory", name = "e2e" });
        var key = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var stranger = await _chromium.NewPageAsync();
        await stranger.GotoAsync(new Uri(_host.BaseUri, "login").ToString());
        await stranger.GetByTestId("signin-key").FillAsync(key);
        await stranger.GetByTestId("signin-submit").ClickAsync();
        await stranger.WaitForURLAsync(new Uri(_host.BaseUri, "/").ToString());
        await stranger.GotoAsync(new Uri(_host.BaseUri, $"sandbox/{id}/session").ToString());
        await stranger.GetByTestId("session-sandbox-gone").WaitForAsync();
        Assert.Equal(0, await stranger.GetByTestId("session-feed").CountAsync());
        await stranger.CloseAsync();
    }

    private static async Task Expect(ILocator badge, string status, int timeout = 30_000)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(timeout);
        string? seen;
        while ((seen = await badge.GetAttributeAsync("data-status")) != status)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The session badge stayed '{seen}', not '{status}'.");
            }
            await Task.Delay(50);
        }
    }

    private static string ToolResult(RecordedRequest request, string toolUseId)
    {
        var last = request.Body.GetProperty("messages").EnumerateArray().Last();
        return last.GetProperty("content").EnumerateArray()
            .Single(b => b.GetProperty("type").GetString() == "tool_result" && b.GetProperty("tool_use_id").GetString() == toolUseId).GetRawText();
    }
}
