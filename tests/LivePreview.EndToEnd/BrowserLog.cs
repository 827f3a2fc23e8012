using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>What the page said (console, page errors, failed requests), attached to a failure so it explains itself.</summary>
public sealed class BrowserLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public static BrowserLog Attach(IPage page)
    {
        var log = new BrowserLog();
        page.Console += (_, m) => log._lines.Enqueue($"console.{m.Type}: {m.Text}");
        page.PageError += (_, e) => log._lines.Enqueue($"pageerror: {e}");
        page.RequestFailed += (_, r) => log._lines.Enqueue($"requestfailed: {r.Url} {r.Failure}");
        page.Response += (_, r) => { if (r.Status >= 400) log._lines.Enqueue($"response {r.Status}: {r.Url}"); };
        return log;
    }

    public override string ToString() => string.Join('\n', _lines);

    public async Task WaitAsync(Task step)
    {
        try
        {
            await step;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nBrowser log:\n{this}", ex);
        }
    }
}
