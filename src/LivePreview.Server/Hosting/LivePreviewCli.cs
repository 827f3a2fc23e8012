using LivePreview.Auth;
using LivePreview.Persistence;
using LivePreview.Snapshots;

namespace LivePreview.Hosting;

/// <summary>The command-line side of the product: <c>livepreview snapshots build|list</c>, and the start-up banner.</summary>
internal static class LivePreviewCli
{
    public static async Task<int> RunSnapshotsAsync(string[] args)
    {
        await using var app = LivePreviewApp.Build([]);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        await app.Services.MigrateDatabaseAsync(cts.Token);
        return await SnapshotCommand.RunAsync(app.Services, args[1..], Console.Out, cts.Token);
    }

    /// <summary>The URL to open, with a one-time login link (as Jupyter prints one): open it and you are signed in as the admin.</summary>
    public static void PrintAddresses(WebApplication app)
    {
        var token = app.Services.GetRequiredService<LoginLinks>().Issue();
        foreach (var url in app.Urls)
        {
            Console.WriteLine(Banner(url, token));
        }
    }

    public static string Banner(string url, string token) =>
        $"LivePreview is running. Open {url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal).TrimEnd('/')}/login?token={token} (works once)";
}
