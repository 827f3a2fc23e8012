using System.Diagnostics;

namespace LivePreview.Bench;

/// <summary>Runs a host program with an argument list (never a shell string) and returns what it printed.</summary>
internal static class HostCommand
{
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {(await stderr).Trim()}");
        }
        return await stdout;
    }

    /// <summary>Removes a folder tree without crossing into other file systems (a mounted overlay is never walked).</summary>
    public static Task RemoveTreeAsync(string directory, CancellationToken cancellationToken) =>
        RunAsync("rm", ["-rf", "--one-file-system", "--", directory], cancellationToken);
}
