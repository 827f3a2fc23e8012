using System.Diagnostics;

namespace LivePreview.Sandboxes.Local;

/// <summary>Runs a host tool (mkfs.ext4, mount) with an argument list, a minimal environment and a timeout; a non-zero exit is an IOException with its output.</summary>
internal static class HostCommand
{
    public static async Task RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The service's secrets have no business in a host tool either; PATH is what util-linux needs to find its helpers.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{program}'.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(deadline.Token), process.StandardError.ReadToEndAsync(deadline.Token));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            var texts = await output;
            if (process.ExitCode != 0)
            {
                throw new IOException($"'{program} {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {string.Concat(texts).Trim()}");
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            throw new TimeoutException($"'{program} {string.Join(' ', arguments)}' did not finish within {timeout}.");
        }
    }

    /// <summary>The absolute path of a program as the service's PATH (or the sbin folders a root service expects) finds it; null when absent.</summary>
    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : null;
        }
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/sbin:/usr/bin:/sbin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Join(d, program)).FirstOrDefault(File.Exists);
    }
}
