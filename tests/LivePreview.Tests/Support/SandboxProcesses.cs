using LivePreview.Tests.Sandboxes;

namespace LivePreview.Tests.Support;

public static class SandboxProcesses
{
    /// <summary>Kills every process in the sandbox's network namespace, as a crash or an out-of-memory kill would.</summary>
    public static async Task KillAllAsync(string sandboxId)
    {
        var pids = (await SandboxLifecycleTests.RunAsync("ip", "netns", "pids", $"lp-{sandboxId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(pids);
        foreach (var pid in pids)
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(int.Parse(pid)).Kill();
            }
            catch (ArgumentException)
            {
            }
        }
    }
}
