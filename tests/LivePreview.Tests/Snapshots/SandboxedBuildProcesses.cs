namespace LivePreview.Tests.Snapshots;

/// <summary>Host processes inside one sandbox's network namespace (every process a sandbox runs is in it).</summary>
internal static class SandboxedBuildProcesses
{
    public static async Task<IReadOnlyList<int>> InSandboxAsync(string sandboxId)
    {
        var output = await LivePreview.Tests.Sandboxes.Local.LocalSandboxHarness.RunHostAsync("ip", "netns", "pids", $"lp-{sandboxId}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
    }

    public static string Read(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}").Replace('\0', '\n');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
