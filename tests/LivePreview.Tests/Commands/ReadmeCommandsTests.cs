using System.Diagnostics;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Commands;

/// <summary>
/// The README's command and usage examples, run as written by bash with real curl and jq against a real host
/// (only the address is swapped): the sandbox, stdin with ?eof=true, the followed output, the kill, the usage sum.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class ReadmeCommandsTests : IAsyncLifetime
{
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Sandboxes:AutoStartPreview"] = "false" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_readme_command_and_usage_lines_work_as_written()
    {
        var block = ReadmeBlock();
        var commands = block.TakeWhile(l => !l.Contains("/session", StringComparison.Ordinal)).ToList();
        var usage = Assert.Single(block, l => l.Contains("/api/v1/usage", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("/input?eof=true", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("/output?follow=true", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("/kill", StringComparison.Ordinal));
        var script = string.Join('\n', ["set -eu", .. commands, usage, "curl -s -X DELETE localhost:8080/api/v1/sandboxes/$SB -H \"Authorization: Bearer $KEY\""])
            .Replace("localhost:8080", $"127.0.0.1:{_host.Port}", StringComparison.Ordinal);

        var output = await BashAsync(script);

        Assert.Contains("{\"written\":6,\"eof\":true}", output);
        Assert.Contains("hello otter\n", output);
        Assert.True(output.Contains("\"status\": \"exited\"", StringComparison.Ordinal), output);
        Assert.Contains("\"exit_code\": 0", output);
        Assert.Contains("\"killed\"", output);
        Assert.Contains("\"input_tokens\": 0", output);
        Assert.Contains("\"requests\": 0", output);
    }

    /// <summary>The README's one ```bash block, its lines without the trailing comments' effect (bash ignores them).</summary>
    private static List<string> ReadmeBlock()
    {
        var lines = File.ReadAllLines(Path.Join(LivePreviewHost.RepositoryRoot, "README.md"));
        var start = Array.IndexOf(lines, "```bash");
        Assert.True(start >= 0, "The README has no ```bash block.");
        return lines.Skip(start + 1).TakeWhile(l => l != "```").ToList();
    }

    private async Task<string> BashAsync(string script)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["KEY"] = _host.AdminKey;
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await bash.WaitForExitAsync(timeout.Token);
        Assert.True(bash.ExitCode == 0, $"bash exited {bash.ExitCode}:\n{await stdout}\n{await stderr}");
        return await stdout;
    }
}
