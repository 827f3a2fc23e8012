using System.ComponentModel;
using System.Diagnostics;
using System.Threading.Channels;

namespace LivePreview.Snapshots;

/// <summary>Runs <c>npm ci</c> in a folder on the host, streaming its output lines.</summary>
internal static class NpmCi
{
    // --include=dev: with NODE_ENV=production in the service's environment npm would drop Vite,
    // which templates list as a devDependency. --prefer-offline: reuse npm's cache when it can.
    private static readonly string[] Arguments = ["ci", "--no-audit", "--no-fund", "--prefer-offline", "--include=dev"];


    public static async Task RunAsync(string npm, string directory, TimeSpan timeout, Func<string, Task> onLine, CancellationToken ct)
    {
        using var process = Start(npm, directory);
        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        var summary = new FailureSummary();
        try
        {
            await ReadUntilExitAsync(process, summary, onLine, linked.Token);
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new SnapshotException($"npm ci did not finish within {timeout.TotalMinutes:0.#} min (LivePreview:Snapshots:BuildTimeout).");
        }
        finally
        {
            KillIfRunning(process);
        }
        if (process.ExitCode != 0)
        {
            throw new SnapshotException($"npm ci failed with exit code {process.ExitCode}:{Environment.NewLine}{summary}");
        }
    }

    private static Process Start(string npm, string directory)
    {
        var info = new ProcessStartInfo(npm)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["npm_config_update_notifier"] = "false";
        info.Environment["npm_config_progress"] = "false";
        try
        {
            return Process.Start(info) ?? throw new SnapshotException($"'{npm}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new SnapshotException($"Could not run '{npm}' (LivePreview:Snapshots:NpmCommand): {ex.Message}", ex);
        }
    }

    /// <summary>Stdout and stderr arrive on two threads; a channel hands them to one reader in arrival order.</summary>
    private static async Task ReadUntilExitAsync(Process process, FailureSummary summary, Func<string, Task> onLine, CancellationToken ct)
    {
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        DataReceivedEventHandler write = (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lines.Writer.TryWrite(line);
            }
        };
        process.OutputDataReceived += write;
        process.ErrorDataReceived += write;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        var exited = WaitAndCompleteAsync(process, lines.Writer, ct);
        await foreach (var line in lines.Reader.ReadAllAsync(CancellationToken.None))
        {
            summary.Add(line);
            await onLine(line);
        }
        await exited;
    }

    private static async Task WaitAndCompleteAsync(Process process, ChannelWriter<string> lines, CancellationToken ct)
    {
        try
        {
            await process.WaitForExitAsync(ct);
        }
        finally
        {
            lines.TryComplete();
        }
    }

    private static void KillIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    /// <summary>
    /// What to tell the user when npm fails: its first "npm error" lines (the cause; the usage text
    /// npm prints after it is noise), or the last lines when it printed none.
    /// </summary>
    private sealed class FailureSummary
    {
        private const int MaxLines = 8;
        private const string ErrorPrefix = "npm error ";
        private readonly List<string> _errors = [];
        private readonly Queue<string> _tail = new();

        public void Add(string line)
        {
            if (line.StartsWith(ErrorPrefix, StringComparison.Ordinal) && line.Length > ErrorPrefix.Length && _errors.Count < MaxLines)
            {
                _errors.Add(line);
            }
            _tail.Enqueue(line);
            if (_tail.Count > MaxLines)
            {
                _tail.Dequeue();
            }
        }

        public override string ToString() => string.Join(Environment.NewLine, _errors.Count > 0 ? _errors : _tail);
    }
}
