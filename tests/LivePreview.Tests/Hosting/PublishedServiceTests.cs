using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Hosting;

/// <summary>
/// <c>dotnet publish</c> output runs on its own: started from a folder outside the repository, with no templates
/// setting, the published <c>livepreview</c> binary creates a sandbox whose preview becomes ready.
/// Publishes with <c>--no-build</c> (the build the tests run on; a few seconds).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed partial class PublishedServiceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("livepreview-published-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_published_output_ships_its_templates_and_creates_a_sandbox_whose_preview_becomes_ready()
    {
        var output = Path.Join(_root, "app");
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var publish = await RunAsync("dotnet", LivePreviewHost.RepositoryRoot,
            ["publish", Path.Join(LivePreviewHost.RepositoryRoot, "src", "LivePreview.Server"), "-c", configuration, "--no-build", "-o", output, "-nologo"]);
        Assert.True(publish.ExitCode == 0, publish.Output);
        Assert.True(File.Exists(Path.Join(output, "templates", "react-vite", "package-lock.json")));
        Assert.Empty(Directory.EnumerateDirectories(Path.Join(output, "templates"), "node_modules", SearchOption.AllDirectories));

        using var service = Start(Path.Join(output, "livepreview"));
        try
        {
            var port = await ListeningPortAsync(service);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await BootstrapKeyAsync());
            var created = await http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            try
            {
                var status = await WaitForPreviewAsync(http, id);
                Assert.True(status == "ready", $"{status}\n--- the published service's last log lines ---\n{string.Join('\n', _log)}");
                // The published build names the package managers' layer by its embedded lock, finds it where setup.sh put it and binds it.
                Assert.Equal(PinnedPnpm(), await RunInSandboxAsync(http, id, [.. LivePreview.Repositories.PackageManagerTools.Pnpm, "--version"]));
            }
            finally
            {
                await http.DeleteAsync($"api/v1/sandboxes/{id}");
            }
        }
        finally
        {
            await StopAsync(service);
        }
    }

    private static string PinnedPnpm()
    {
        using var pins = JsonDocument.Parse(File.ReadAllText(Path.Join(LivePreviewHost.RepositoryRoot, "tools", "package-managers", "package.json")));
        return pins.RootElement.GetProperty("dependencies").GetProperty("pnpm").GetString()!;
    }

    /// <summary>Runs a command through the commands API and returns its trimmed output once it exited 0.</summary>
    private static async Task<string> RunInSandboxAsync(HttpClient http, string id, string[] command)
    {
        using var started = await http.PostAsJsonAsync($"api/v1/sandboxes/{id}/commands", new { command });
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        var commandId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        JsonElement current;
        do
        {
            await Task.Delay(100);
            current = await http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}/commands/{commandId}");
        }
        while (current.GetProperty("status").GetString() == "running" && DateTime.UtcNow < deadline);
        var output = await http.GetStringAsync($"api/v1/sandboxes/{id}/commands/{commandId}/output");
        Assert.True(current.GetProperty("status").GetString() == "exited" && current.GetProperty("exit_code").GetInt32() == 0, output);
        return output.Trim();
    }

    /// <summary>The service's own environment minus any templates setting, its data here, the shared snapshots, no warm pool.</summary>
    private Process Start(string binary)
    {
        var work = Directory.CreateDirectory(Path.Join(_root, "cwd")).FullName;
        var start = new ProcessStartInfo(binary, ["--urls=http://127.0.0.1:0"])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("LivePreview__TemplatesDirectory");
        start.Environment.Remove("LivePreview__Auth__BootstrapKey");
        start.Environment["LivePreview__DataDirectory"] = Path.Join(_root, "data");
        start.Environment["LivePreview__Snapshots__Root"] = LivePreviewHost.SharedSnapshotRoot;
        start.Environment["LivePreview__WarmPool__Size"] = "0";
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>No key configured: the service made one in its data directory on first start.</summary>
    private async Task<string> BootstrapKeyAsync() => (await File.ReadAllTextAsync(Path.Join(_root, "data", "bootstrap-key"))).Trim();

    /// <summary>The published service's last log lines, for a failure message.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private async Task<int> ListeningPortAsync(Process service)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<string>();
        while (await service.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                // Keep draining the log so the service never blocks on a full pipe; the last lines explain a failure.
                _ = KeepLogAsync(service.StandardOutput);
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("The published service exited before listening:\n" + string.Join('\n', seen));
    }

    private async Task KeepLogAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            _log.Enqueue(line);
            while (_log.Count > 200 && _log.TryDequeue(out _))
            {
            }
        }
    }

    private static async Task<string> WaitForPreviewAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync($"api/v1/preview/sandbox/{id}");
            if (response.IsSuccessStatusCode)
            {
                var preview = await response.Content.ReadFromJsonAsync<JsonElement>();
                last = preview.GetProperty("status").GetString()!;
                if (last is "ready" or "error")
                {
                    return last == "ready" ? last : preview.ToString();
                }
            }
            else
            {
                var sandbox = await http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}");
                Assert.True(sandbox.GetProperty("status").GetString() != "error", sandbox.ToString());
            }
            await Task.Delay(200);
        }
        return $"not ready in time (last: {last})";
    }

    /// <summary>SIGTERM first (graceful shutdown stops dev servers and unmounts), a kill only if that does not end it.</summary>
    private static async Task StopAsync(Process service)
    {
        using (var term = Process.Start("kill", ["-TERM", service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await service.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string directory, string[] args)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
