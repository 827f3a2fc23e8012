using LivePreview.EndToEnd;
using Microsoft.Playwright;

namespace LivePreview.Bench;

/// <summary>
/// A preview opened in its own browser context, with a MutationObserver that records, on the page's own
/// clock, when an expected text first appears in the &lt;h1&gt;. Counts the requests Chromium aborted
/// with ERR_NETWORK_CHANGED (a host interface came or went), which can break an update in flight.
/// </summary>
internal sealed class PreviewPage
{
    /// <summary>How often a page may be re-opened after network changes before the bench gives up.</summary>
    public const int MaxReopens = 8;

    private const string ObserverScript = """
        () => {
          window.__lpBench = { seen: {}, expect: null, kept: 1 };
          const check = () => {
            const now = performance.now();
            const expect = window.__lpBench.expect;
            if (expect && window.__lpBench.seen[expect] === undefined
                && (document.querySelector('h1')?.textContent ?? '') === expect) {
              window.__lpBench.seen[expect] = now;
            }
          };
          new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
          return true;
        }
        """;

    private readonly Janitor _janitor;
    private readonly int _reopens;
    private int _networkChanges;
    private int _sockets;

    private PreviewPage(Janitor janitor, IBrowserContext context, IPage page, string url, int reopens)
    {
        (_janitor, Context, Page, Url, _reopens) = (janitor, context, page, url, reopens);
        Log = BrowserLog.Attach(page);
        page.RequestFailed += (_, r) =>
        {
            if (r.Failure?.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref _networkChanges);
            }
        };
        page.WebSocket += (_, _) => Interlocked.Increment(ref _sockets);
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public string Url { get; }

    public BrowserLog Log { get; }

    public int NetworkChanges => Volatile.Read(ref _networkChanges);

    public static Task<PreviewPage> OpenAsync(IBrowser browser, Janitor janitor, string url, CancellationToken cancellationToken) =>
        OpenAsync(browser, janitor, url, 0, cancellationToken);

    private static async Task<PreviewPage> OpenAsync(IBrowser browser, Janitor janitor, string url, int reopens, CancellationToken cancellationToken)
    {
        var context = await browser.NewContextAsync();
        janitor.OnCleanUp(() => context.CloseAsync());
        var page = new PreviewPage(janitor, context, await context.NewPageAsync(), url, reopens);
        await page.LoadAsync(cancellationToken);
        return page;
    }

    public async Task<PreviewPage> ReopenAsync(IBrowser browser, CancellationToken cancellationToken)
    {
        if (_reopens >= MaxReopens)
        {
            throw new InvalidOperationException($"The preview page was disturbed by network changes {MaxReopens} times; giving up.");
        }
        await CloseAsync();
        return await OpenAsync(browser, _janitor, Url, _reopens + 1, cancellationToken);
    }

    /// <summary>Arms the observer for the text; returns the page's clock.</summary>
    public Task<double> ArmAsync(string expected) =>
        Page.EvaluateAsync<double>("m => { window.__lpBench.expect = m; return performance.now(); }", expected);

    /// <summary>The page's clock when the observer saw the text.</summary>
    public async Task<double> SeenAsync(string expected, TimeSpan timeout)
    {
        try
        {
            await Page.WaitForFunctionAsync("m => window.__lpBench?.seen[m] !== undefined", expected,
                new() { PollingInterval = 20, Timeout = (float)timeout.TotalMilliseconds });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{Url} did not show \"{expected}\" within {timeout.TotalSeconds:0} s.\n{Log}", ex);
        }
        return await Page.EvaluateAsync<double>("m => window.__lpBench.seen[m]", expected);
    }

    public Task WaitForHeadingAsync(string text, TimeSpan timeout) =>
        Page.WaitForFunctionAsync("m => (document.querySelector('h1')?.textContent ?? '') === m", text,
            new() { PollingInterval = 20, Timeout = (float)timeout.TotalMilliseconds });

    /// <summary>A reload would mean the change arrived by a full page load, not by HMR.</summary>
    public async Task AssertNotReloadedAsync()
    {
        if (await Page.EvaluateAsync<int>("() => window.__lpBench?.kept ?? 0") != 1)
        {
            throw new InvalidOperationException($"{Url} reloaded during the prompts: that is not HMR.\n{Log}");
        }
    }

    public Task CloseAsync() => Context.CloseAsync();

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        await Page.GotoAsync(Url);
        await Log.WaitAsync(Page.Locator("h1").WaitForAsync(new() { Timeout = 20_000 }));
        // The HMR client connects after the page's modules ran; an edit before that would be missed.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref _sockets) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No HMR WebSocket was opened by {Url}.\n{Log}");
            }
            await Page.WaitForTimeoutAsync(50);
        }
        await Page.EvaluateAsync(ObserverScript);
        await Page.WaitForTimeoutAsync(300);
    }
}
