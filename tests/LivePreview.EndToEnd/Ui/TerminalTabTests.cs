using System.Globalization;
using System.Text.Json;
using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd.Ui;

/// <summary>
/// The sandbox page's Terminal tab, in Chromium against the real service and a real sandbox: xterm.js over the
/// terminal WebSocket (same-origin, the dashboard's cookie). Typing runs commands, Ctrl-C interrupts the foreground
/// job, and resizing the window resizes the shell's terminal.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class TerminalTabTests() : HostAndBrowserTest
{
    [Fact]
    public async Task The_terminal_tab_runs_commands_interrupts_with_ctrl_c_and_follows_the_window_size()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await Host.WaitForPreviewAsync(id);
        var page = await Chromium.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 860 } });
        await Browser.SignInAsync(page, Host);
        var log = BrowserLog.Attach(page);
        await page.GotoAsync(new Uri(Host.BaseUri, $"sandboxes/{id}").ToString());
        // The framed app shows once the page is interactive (the circuit is up): a click before that would be lost.
        await log.WaitAsync(page.FrameLocator("[data-testid=preview-iframe]").Locator("h1").WaitForAsync(new() { Timeout = 60_000 }));

        await page.GetByTestId("terminal-tab").ClickAsync();
        var terminal = page.GetByTestId("terminal");
        await log.WaitAsync(page.Locator("[data-testid=terminal][data-state=open]").WaitForAsync(new() { Timeout = 60_000 }));
        // The shell's prompt first: keys typed before it would still arrive, but the screen is then in order.
        await log.WaitAsync(page.WaitForFunctionAsync($"() => window.__lpTerminals?.['{id}']?.buffer().trim().length > 0", null, new() { Timeout = 60_000 }));
        await terminal.ClickAsync();

        await page.Keyboard.TypeAsync("echo hi-from-xterm");
        await page.Keyboard.PressAsync("Enter");
        // The command line holds it too: only a row that is exactly the output proves the shell ran it.
        await log.WaitAsync(page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('[data-testid=terminal] .xterm-rows > div')].some(r => r.textContent.trim() === 'hi-from-xterm')",
            null, new() { Timeout = 30_000 }));

        await TerminalInPage.CtrlCStopsASleepAsync(page, id);

        var before = await SttySizeAsync(page, id, "first");
        Assert.Equal(await XtermSizeAsync(page, id), before);
        await page.SetViewportSizeAsync(900, 560);
        await page.WaitForFunctionAsync($"size => {{ const s = window.__lpTerminals['{id}'].size(); return s.rows !== size[0] || s.cols !== size[1]; }}", new[] { before.Rows, before.Columns });
        var after = await SttySizeAsync(page, id, "second");
        Assert.NotEqual(before, after);
        Assert.Equal(await XtermSizeAsync(page, id), after);
        Assert.True(after.Rows < before.Rows && after.Columns < before.Columns, $"{before} -> {after}");

        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ArtifactsDirectory("ui"), "terminal-tab.png") });
        await page.CloseAsync();
    }

    private static async Task<(int Rows, int Columns)> SttySizeAsync(IPage page, string id, string marker)
    {
        await page.Keyboard.TypeAsync($"echo {marker}=$(stty size)");
        await page.Keyboard.PressAsync("Enter");
        var line = await TerminalInPage.WaitForLineAsync(page, id, $"^{marker}=\\d+ \\d+$");
        var numbers = line[(marker.Length + 1)..].Split(' ');
        return (int.Parse(numbers[0], CultureInfo.InvariantCulture), int.Parse(numbers[1], CultureInfo.InvariantCulture));
    }

    private static async Task<(int Rows, int Columns)> XtermSizeAsync(IPage page, string id)
    {
        var size = await page.EvaluateAsync<JsonElement>($"() => window.__lpTerminals['{id}'].size()");
        return (size.GetProperty("rows").GetInt32(), size.GetProperty("cols").GetInt32());
    }
}
