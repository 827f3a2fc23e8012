using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>Debian's Chromium driven by Playwright (its own browser download does not work here).</summary>
public static class Browser
{
    public static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <param name="extraArgs">More Chromium switches, e.g. <c>--host-resolver-rules</c> to reach the service under a deployment's host names.</param>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync(IEnumerable<string>? extraArgs = null)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("LIVEPREVIEW_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = [.. Args, .. extraArgs ?? []],
        });
        return (playwright, browser);
    }

    /// <summary>Signs the page's browser context in as the admin the way a person does: by opening the one-time login link.</summary>
    /// <param name="dashboard">The dashboard's address as the browser reaches it; <see cref="LivePreview.Tests.Support.LivePreviewHost.BaseUri"/> unless given.</param>
    public static async Task SignInAsync(IPage page, LivePreview.Tests.Support.LivePreviewHost host, Uri? dashboard = null)
    {
        var token = host.Service<LivePreview.Auth.LoginLinks>().Issue();
        await page.GotoAsync(new Uri(dashboard ?? host.BaseUri, $"login?token={token}").ToString());
        if (new Uri(page.Url).AbsolutePath != "/")
        {
            throw new InvalidOperationException($"The login link did not sign in: {page.Url}");
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> of a sandbox's preview in <paramref name="page"/>, the way a person's browser reaches a
    /// preview: the one place that knows how. Previews are private: the browser opens a grant URL (the exchange sets the
    /// preview's grant cookie and redirects to the clean URL), then goes to <paramref name="path"/> on that origin.
    /// </summary>
    public static async Task<IResponse?> OpenPreviewAsync(IPage page, LivePreview.Tests.Support.LivePreviewHost host, string sandboxId, string path = "/")
    {
        var opened = await page.GotoAsync(await host.OpenPreviewUrlAsync(sandboxId));
        if (path == "/")
        {
            return opened;
        }
        return await page.GotoAsync(new Uri(new Uri(page.Url), path).ToString());
    }

    public static string ArtifactsDirectory(string area)
    {
        var dir = Path.Combine(LivePreview.Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "screenshots", area);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
