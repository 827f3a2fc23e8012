using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using LivePreview.Agents;
using LivePreview.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The prototype page as a person uses it, in Chromium against the real service with the replay agent
/// (the seed's phase-3 verification): start a session, prompt twice and see each change inside the
/// preview's frame, edit a file in the code panel, export to a git repository, restore a checkpoint,
/// interrupt a prompt, end the session and find its sandbox gone.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class PrototypeTests : IAsyncLifetime
{
    private const string Navbar = "add a navbar with dark mode toggle";
    private const string Hero = "make the hero section have a gradient background";
    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 180_000 };
    private LivePreviewHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly string _shots = Browser.ArtifactsDirectory("prototype");
    private readonly string _scratch = Directory.CreateTempSubdirectory("livepreview-prototype-e2e-").FullName;

    public async Task InitializeAsync()
    {
        // Recorded pauses played 2.5× slower: an Interrupt clicked after the turn's first step lands while it still runs.
        // The export goes to a local bare repository in this test's scratch folder, allowed as an operator would allow one.
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Agents:ReplayDelayScale"] = "2.5",
            ["LivePreview:Git:AllowedRemotes:0"] = _scratch + "/",
        });
        (_playwright, _browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task A_session_prompted_twice_shows_each_change_in_the_preview_exports_to_git_and_ends_without_leftovers()
    {
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => { lock (sockets) sockets.Add(ws.Url); };
        var frame = page.FrameLocator("[data-testid=preview-iframe]");

        var (sessionId, sandboxId) = await StartSessionAsync(page, log, "replay");
        await log.WaitAsync(Expect(frame.Locator("h1")).ToContainTextAsync("Hello from", new() { Timeout = 180_000 }));
        await WaitForHmrSocketAsync(page, sockets, await page.GetByTestId("preview-iframe").GetAttributeAsync("src"));
        await ShotAsync(page, "02-preview-ready");

        await page.GetByTestId("prototype-prompt").FillAsync(Navbar);
        await page.GetByTestId("prototype-prompt").PressAsync("Enter");
        var first = page.GetByTestId("prototype-turn").Nth(0);
        await Expect(first).ToHaveAttributeAsync("data-state", "running");
        await Expect(page.GetByTestId("prototype-prompt")).ToBeDisabledAsync();
        await ShotAsync(page, "03-working");
        await log.WaitAsync(Expect(frame.GetByTestId("navbar")).ToBeVisibleAsync(new() { Timeout = 30_000 }));
        await Expect(first).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 30_000 });
        await Expect(first.Locator("[data-testid=prototype-tool][data-path='src/components/Navbar.tsx']")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("prototype-prompt")).ToHaveValueAsync("");
        await ShotAsync(page, "04-navbar");

        await page.GetByTestId("prototype-prompt").FillAsync(Hero);
        await page.GetByTestId("prototype-send").ClickAsync();
        var hero = frame.GetByTestId("hero");
        await log.WaitAsync(Expect(hero).ToBeVisibleAsync(new() { Timeout = 30_000 }));
        await Expect(hero).ToHaveCSSAsync("background-image", new Regex("linear-gradient"));
        await Expect(page.GetByTestId("prototype-turn").Nth(1)).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 30_000 });
        await ShotAsync(page, "05-hero");
        await page.SetViewportSizeAsync(1280, 720);
        await ShotAsync(page, "05-hero-1280x720");
        await page.SetViewportSizeAsync(1440, 900);

        await EditInCodePanelAsync(page, frame);
        await ExportAsync(page);
        await RestoreInitialAsync(page, frame);
        await InterruptAsync(page);
        await EndAsync(page, sessionId, sandboxId);
        File.WriteAllText(Path.Combine(_shots, "browser-log.txt"), log.ToString());
        await page.CloseAsync();
    }

    [Fact]
    public async Task Without_a_configured_agent_the_page_says_what_to_set_and_a_code_panel_edit_still_hot_updates_the_preview()
    {
        if (_host.Service<AgentRegistry>().Availability("anthropic").Available)
        {
            return; // An Anthropic key is set on this machine: there is no "not configured" to show.
        }
        var page = await _browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        await Browser.SignInAsync(page, _host);
        var log = BrowserLog.Attach(page);
        var sockets = new List<string>();
        page.WebSocket += (_, ws) => { lock (sockets) sockets.Add(ws.Url); };
        var frame = page.FrameLocator("[data-testid=preview-iframe]");

        var (sessionId, _) = await StartSessionAsync(page, log, "anthropic");
        await Expect(page.GetByTestId("prototype-agent-problem")).ToContainTextAsync("LivePreview__Agents__Anthropic__ApiKey");
        await Expect(page.GetByTestId("prototype-prompt")).ToBeDisabledAsync();
        await log.WaitAsync(Expect(frame.Locator("h1")).ToContainTextAsync("Hello from", new() { Timeout = 180_000 }));
        await WaitForHmrSocketAsync(page, sockets, await page.GetByTestId("preview-iframe").GetAttributeAsync("src"));

        await page.GetByTestId("code-tab").ClickAsync();
        var editor = page.GetByTestId("code-editor");
        await Expect(editor).ToHaveValueAsync(new Regex("Hello from React"));
        await editor.FillAsync((await editor.InputValueAsync()).Replace("Hello from React + Vite", "Edited without an agent", StringComparison.Ordinal));
        await page.GetByTestId("code-save").ClickAsync();
        await page.GetByTestId("preview-tab").ClickAsync();
        await Expect(frame.Locator("h1")).ToContainTextAsync("Edited without an agent", new() { Timeout = 30_000 });
        await ShotAsync(page, "13-no-agent");

        await page.GetByTestId("end-session").ClickAsync();
        await page.GetByTestId("end-session-confirm").ClickAsync();
        await Expect(page.GetByTestId("prototype-ended")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/prototype/session/{sessionId}")).StatusCode);
        await page.CloseAsync();
    }

    private async Task<(string SessionId, string SandboxId)> StartSessionAsync(IPage page, BrowserLog log, string agent)
    {
        await page.GotoAsync(new Uri(_host.BaseUri, "prototype").ToString());
        await log.WaitAsync(Expect(page.GetByTestId("prototype-start")).ToBeEnabledAsync());
        await page.GetByTestId("prototype-framework-react-vite").ClickAsync();
        if (!_host.Service<AgentRegistry>().Availability("anthropic").Available)
        {
            await page.GetByTestId("prototype-agent").SelectOptionAsync("anthropic");
            await Expect(page.GetByTestId("prototype-agent-problem")).ToContainTextAsync("LivePreview__Agents__Anthropic__ApiKey");
            await ShotAsync(page, "00-agent-not-configured");
        }
        await page.GetByTestId("prototype-agent").SelectOptionAsync(agent);
        if (agent == "replay")
        {
            await Expect(page.GetByTestId("prototype-agent-problem")).ToHaveCountAsync(0);
            await ShotAsync(page, "01-start");
        }

        await page.GetByTestId("prototype-start").ClickAsync();
        // Starting creates a sandbox first: on a loaded machine that takes longer than the default 30 s.
        await page.WaitForURLAsync("**/prototype/ps*", new() { Timeout = 180_000 });
        var session = page.GetByTestId("prototype-session");
        await log.WaitAsync(Expect(session).ToBeVisibleAsync(Slow));
        return (page.Url.Split('/')[^1], (await session.GetAttributeAsync("data-sandbox-id"))!);
    }

    /// <summary>The code panel shows what the agent wrote, and a save from it hot-updates the preview.</summary>
    private async Task EditInCodePanelAsync(IPage page, IFrameLocator frame)
    {
        await page.GetByTestId("code-tab").ClickAsync();
        await page.Locator("[data-testid=code-file][data-path='src/components/Navbar.tsx']").ClickAsync();
        await Expect(page.GetByTestId("code-editor")).ToHaveValueAsync(new Regex("data-testid=\"navbar\""));
        await page.Locator("[data-testid=code-file][data-path='src/App.tsx']").ClickAsync();
        var editor = page.GetByTestId("code-editor");
        await Expect(editor).ToHaveValueAsync(new Regex("Hello from React"));
        var source = await editor.InputValueAsync();
        await editor.FillAsync(source.Replace("Hello from React + Vite", "Edited in the code panel", StringComparison.Ordinal));
        await page.GetByTestId("code-save").ClickAsync();
        await Expect(page.GetByTestId("code-status")).ToContainTextAsync("Saved");
        await ShotAsync(page, "06-code-panel");
        await page.GetByTestId("preview-tab").ClickAsync();
        await Expect(frame.Locator("h1")).ToContainTextAsync("Edited in the code panel", new() { Timeout = 30_000 });
        await Expect(frame.GetByTestId("navbar")).ToBeVisibleAsync();
    }

    /// <summary>A refused export says why in ProblemDetails' words; a good one shows the commit, which the bare repository holds.</summary>
    private async Task ExportAsync(IPage page)
    {
        var bare = Path.Join(_scratch, "remote.git");
        await RunAsync("git", "init", "-q", "--bare", bare);
        await page.GetByTestId("tab-export").ClickAsync();
        await page.GetByTestId("export-remote").FillAsync("relative/remote.git");
        await page.GetByTestId("export-branch").FillAsync("prototype/e2e");
        await page.GetByTestId("export-message").FillAsync("Prototype exported by the end-to-end test");
        await page.GetByTestId("export-submit").ClickAsync();
        var result = page.GetByTestId("export-result");
        await Expect(result).ToHaveAttributeAsync("data-state", "error", new() { Timeout = 30_000 });
        await Expect(result).ToContainTextAsync("not a supported remote");
        await ShotAsync(page, "07-export-refused");

        await page.GetByTestId("export-remote").FillAsync(bare);
        await page.GetByTestId("export-submit").ClickAsync();
        await Expect(result).ToHaveAttributeAsync("data-state", "ok", new() { Timeout = 60_000 });
        var sha = await page.GetByTestId("export-sha").InnerTextAsync();
        Assert.Matches("^[0-9a-f]{40}$", sha);
        await ShotAsync(page, "08-exported");

        Assert.Equal(sha, (await RunAsync("git", "-C", bare, "rev-parse", "prototype/e2e")).Trim());
        Assert.Contains("Prototype exported by the end-to-end test", await RunAsync("git", "-C", bare, "log", "-1", "--format=%B", "prototype/e2e"));
        var files = await RunAsync("git", "-C", bare, "ls-tree", "-r", "--name-only", "prototype/e2e");
        Assert.Contains("src/components/Navbar.tsx", files.Split('\n'));
        Assert.Contains("Edited in the code panel", await RunAsync("git", "-C", bare, "show", "prototype/e2e:src/App.tsx"));
        Assert.DoesNotContain("node_modules", files);
    }

    /// <summary>Restoring the start brings the template back: the navbar leaves the frame, by HMR.</summary>
    private async Task RestoreInitialAsync(IPage page, IFrameLocator frame)
    {
        await page.GetByTestId("tab-checkpoints").ClickAsync();
        var initial = page.Locator("[data-testid=checkpoint][data-kind=initial]");
        await Expect(page.GetByTestId("checkpoint")).ToHaveCountAsync(4);
        // Prompt checkpoints get a screenshot of the preview: the thumbnail loads with the dashboard's sign-in, a click shows it larger.
        var thumbnail = page.Locator("[data-testid=checkpoint][data-kind=prompt] [data-testid=checkpoint-thumbnail]").First;
        await Expect(thumbnail).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=checkpoint-thumbnail] img')?.naturalWidth === 1280");
        await thumbnail.ClickAsync();
        await Expect(page.GetByTestId("checkpoint-screenshot")).ToBeVisibleAsync();
        await ShotAsync(page, "09-checkpoint-screenshot");
        await page.GetByTestId("checkpoint-screenshot-close").ClickAsync();
        // The first prompt's checkpoint shows what it changed, side by side: the navbar it added.
        var firstPrompt = page.Locator("[data-testid=checkpoint][data-kind=prompt]").Last;
        await firstPrompt.GetByTestId("checkpoint-changes-toggle").ClickAsync();
        var navbar = firstPrompt.Locator("[data-testid=checkpoint-changed-file][data-path='src/components/Navbar.tsx']");
        await Expect(navbar).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(navbar.Locator("[data-testid=diff-row][data-kind=added]").First).ToBeVisibleAsync();
        await ShotAsync(page, "09-checkpoint-changes");
        await firstPrompt.GetByTestId("checkpoint-changes-toggle").ClickAsync();
        await ShotAsync(page, "09-checkpoints");
        await initial.GetByTestId("checkpoint-restore").ClickAsync();
        await Expect(page.Locator("[data-testid=checkpoint][data-kind=restore]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Expect(frame.GetByTestId("navbar")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Expect(frame.Locator("h1")).ToContainTextAsync("Hello from React + Vite");
        await ShotAsync(page, "10-restored");
    }

    private async Task InterruptAsync(IPage page)
    {
        await page.GetByTestId("tab-conversation").ClickAsync();
        await page.GetByTestId("prototype-prompt").FillAsync(Navbar);
        await page.GetByTestId("prototype-send").ClickAsync();
        var turn = page.GetByTestId("prototype-turn").Nth(2);
        await Expect(turn.GetByTestId("prototype-tool").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.GetByTestId("prototype-interrupt").ClickAsync();
        await Expect(turn).ToHaveAttributeAsync("data-state", "cancelled", new() { Timeout = 30_000 });
        await Expect(turn.GetByTestId("prototype-turn-error")).ToContainTextAsync("Interrupted");
        await Expect(page.GetByTestId("prototype-prompt")).ToBeEnabledAsync();
        await ShotAsync(page, "11-interrupted");
    }

    private async Task EndAsync(IPage page, string sessionId, string sandboxId)
    {
        await page.GetByTestId("end-session").ClickAsync();
        await page.GetByTestId("end-session-confirm").ClickAsync();
        await Expect(page.GetByTestId("prototype-ended")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("preview-iframe")).ToHaveCountAsync(0);
        await ShotAsync(page, "12-ended");

        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/sandboxes/{sandboxId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Http.GetAsync($"api/v1/prototype/session/{sessionId}")).StatusCode);
        Assert.DoesNotContain($"lp-{sandboxId}", await RunAsync("ip", "netns", "list"));
        await page.ReloadAsync();
        await Expect(page.GetByTestId("prototype-gone")).ToBeVisibleAsync();
    }

    /// <summary>The HMR client connects after the app's modules run; a prompt's edits before that would be missed.</summary>
    private static async Task WaitForHmrSocketAsync(IPage page, List<string> sockets, string? previewUrl)
    {
        // The frame opens a grant link (?livepreview_grant=…); the socket goes to the preview's own address.
        var expected = previewUrl!.Split('?')[0].Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/');
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!HasSocket())
        {
            Assert.True(DateTime.UtcNow < deadline, $"No HMR WebSocket to {expected} within 30 s.");
            await Task.Delay(100);
        }
        await page.WaitForTimeoutAsync(300);

        bool HasSocket()
        {
            lock (sockets)
            {
                return sockets.Any(s => s.StartsWith(expected, StringComparison.Ordinal));
            }
        }
    }

    private static async Task<string> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(_shots, $"{name}.png") });
}
