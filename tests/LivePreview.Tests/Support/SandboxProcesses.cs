using System.Diagnostics;

namespace LivePreview.Tests.Support;

public static class SandboxProcesses
{
    /// <summary>Kills every process in the sandbox's network namespace, as a crash or an out-of-memory kill would.</summary>
    public static async Task KillAllAsync(string sandboxId)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "netns", "pids", $"lp-{sandboxId}" })
        {
            info.ArgumentList.Add(arg);
        }
        using var ip = Process.Start(info)!;
        var pids = (await ip.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await ip.WaitForExitAsync();
        Assert.NotEmpty(pids);
        foreach (var pid in pids)
        {
            try
            {
                Process.GetProcessById(int.Parse(pid)).Kill();
            }
            catch (ArgumentException)
            {
            }
        }
    }
}
