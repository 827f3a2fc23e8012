using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd.Ui;

/// <summary>What the browser tests do with a page's xterm terminal (<c>window.__lpTerminals[id]</c>, the panel's test hook).</summary>
internal static class TerminalInPage
{
    /// <summary>Waits (30 s) for a line of the terminal's buffer that matches <paramref name="pattern"/> (trimmed) and returns it.</summary>
    public static async Task<string> WaitForLineAsync(IPage page, string id, string pattern)
    {
        var found = await page.WaitForFunctionAsync(
            $"pattern => window.__lpTerminals['{id}'].buffer().split('\\n').find(l => new RegExp(pattern).test(l.trim())) ?? false",
            pattern, new() { Timeout = 30_000 });
        return (await found.JsonValueAsync<string>()).Trim();
    }

    /// <summary>
    /// Types a <c>sleep</c> of a length no other test uses, waits on the host until it is the terminal's foreground job
    /// (Ctrl-C reaches only that), presses Ctrl-C and checks the shell saw it end by SIGINT (status 130) and it is gone.
    /// </summary>
    public static async Task CtrlCStopsASleepAsync(IPage page, string id)
    {
        var seconds = TerminalJobs.UniqueSeconds();
        await page.Keyboard.TypeAsync($"sleep {seconds}");
        await page.Keyboard.PressAsync("Enter");
        await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: true);
        await page.Keyboard.PressAsync("Control+C");
        await page.Keyboard.TypeAsync("echo status=$?");
        await page.Keyboard.PressAsync("Enter");
        await WaitForLineAsync(page, id, "^status=130$");
        Assert.Empty(TerminalJobs.SleepingProcesses(seconds));
    }
}
