using LivePreview.Tests.Support;
using Microsoft.Playwright;

namespace LivePreview.EndToEnd;

/// <summary>
/// The service on real Kestrel and Debian's Chromium for one test: started before it, both gone after
/// it (the host deletes its sandboxes). <paramref name="settings"/> are the host's settings, <paramref name="browserArgs"/>
/// more Chromium switches.
/// </summary>
public abstract class HostAndBrowserTest(IDictionary<string, string?>? settings = null, IEnumerable<string>? browserArgs = null) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    protected LivePreviewHost Host { get; private set; } = null!;

    protected IBrowser Chromium { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await LivePreviewHost.StartAsync(settings);
        (_playwright, Chromium) = await Browser.LaunchAsync(browserArgs);
    }

    public async Task DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
        await Host.DisposeAsync();
    }
}
