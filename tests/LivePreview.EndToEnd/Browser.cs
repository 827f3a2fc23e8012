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

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("LIVEPREVIEW_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = Args,
        });
        return (playwright, browser);
    }

    /// <summary>Signs the page's browser context in as the admin the way a person does: by opening the one-time login link.</summary>
    public static async Task SignInAsync(IPage page, LivePreview.Tests.Support.LivePreviewHost host)
    {
        var token = host.Service<LivePreview.Auth.LoginLinks>().Issue();
        await page.GotoAsync(new Uri(host.BaseUri, $"login?token={token}").ToString());
        if (new Uri(page.Url).AbsolutePath != "/")
        {
            throw new InvalidOperationException($"The login link did not sign in: {page.Url}");
        }
    }

    public static string ArtifactsDirectory(string area)
    {
        var dir = Path.Combine(LivePreview.Tests.Support.LivePreviewHost.RepositoryRoot, "artifacts", "screenshots", area);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
