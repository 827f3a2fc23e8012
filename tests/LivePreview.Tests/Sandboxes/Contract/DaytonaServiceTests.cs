using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on the Daytona provider: a react-vite sandbox on <see cref="FakeDaytona"/> (the built snapshot copied
/// into it, a real Vite dev server run by the fake), previewed through our proxy, which forwards to Daytona's preview URL
/// with the preview token; an edit through the files API reaches the page as an HMR update.
/// </summary>
public sealed class DaytonaServiceTests() : ProviderServiceTests("daytona")
{
    private FakeDaytona? _daytona;

    protected override async Task<IDictionary<string, string?>> StartProviderAsync(string snapshot)
    {
        _daytona = await FakeDaytona.StartAsync(new Dictionary<string, string> { ["lp-react-vite"] = snapshot });
        return new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Provider"] = "Daytona",
            ["LivePreview:Sandboxes:Daytona:ApiUrl"] = _daytona.ApiUrl.AbsoluteUri,
            ["LivePreview:Sandboxes:Daytona:ApiKey"] = _daytona.ApiKey,
            ["LivePreview:Sandboxes:Daytona:Snapshots:react-vite"] = "lp-react-vite",
            ["LivePreview:Sandboxes:Daytona:WorkspaceDirectory"] = "app",
            ["LivePreview:Sandboxes:Daytona:PollInterval"] = "00:00:00.200",
        };
    }

    protected override ValueTask StopProviderAsync() => _daytona?.DisposeAsync() ?? ValueTask.CompletedTask;
}
