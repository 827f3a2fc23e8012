using System.Diagnostics;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Workspaces;

/// <summary>The README's file PUT, run as written with real curl (which sends application/x-www-form-urlencoded).</summary>
[Collection(ServiceCollection.Name)]
public sealed class ReadmeFileUploadTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("livepreview-readme-put-").FullName;
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_readme_curl_put_writes_the_files_bytes_unchanged_whatever_content_type_curl_sends()
    {
        var id = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await _host.WaitForPreviewAsync(id);
        // Characters a form decoder would change (+, %20, &, =), and a line break.
        var content = "export default function App() {\n  return <h1>a+b=c&d %20 é</h1>\n}\n"u8.ToArray();
        await File.WriteAllBytesAsync(Path.Join(_folder, "App.tsx"), content);

        var output = await CurlAsync(ReadmeCommand("-X PUT").Select(a => a
            .Replace("localhost:8080", $"127.0.0.1:{_host.Port}", StringComparison.Ordinal)
            .Replace("<id>", id, StringComparison.Ordinal)
            .Replace("$KEY", _host.AdminKey, StringComparison.Ordinal)).Append("-w").Append(" %{http_code}"));

        Assert.EndsWith(" 200", output.Trim());
        Assert.Equal(content, await _host.Http.GetByteArrayAsync($"api/v1/sandboxes/{id}/files/src/App.tsx"));
        await _host.Http.DeleteAsync($"api/v1/sandboxes/{id}");
    }

    /// <summary>
    /// The README line holding <paramref name="marker"/>, split into curl's arguments (up to its comment; no shell):
    /// words split on spaces, a double-quoted part ("Authorization: Bearer $KEY") is one word without its quotes.
    /// </summary>
    private static IEnumerable<string> ReadmeCommand(string marker)
    {
        var line = File.ReadLines(Path.Join(LivePreviewHost.RepositoryRoot, "README.md"))
            .Single(l => l.StartsWith("curl ", StringComparison.Ordinal) && l.Contains(marker, StringComparison.Ordinal));
        var command = line.Split('#')[0];
        Assert.DoesNotContain('\'', command);
        Assert.Contains("-H \"Authorization: Bearer $KEY\"", command, StringComparison.Ordinal);
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in command)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                if (word.Length > 0)
                {
                    words.Add(word.ToString());
                    word.Clear();
                }
            }
            else
            {
                word.Append(c);
            }
        }
        Assert.False(quoted, "Unbalanced double quote in the README line.");
        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }
        return words.Skip(1);
    }

    private async Task<string> CurlAsync(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, WorkingDirectory = _folder };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var curl = Process.Start(start)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        return output;
    }
}
