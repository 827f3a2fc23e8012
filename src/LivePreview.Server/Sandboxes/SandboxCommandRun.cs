using LivePreview.Sandboxes.Local;

namespace LivePreview.Sandboxes;

/// <summary>A started process run to completion as a command: its output kept up to a limit, killed at its timeout.</summary>
internal static class SandboxCommandRun
{
    public static async Task<SandboxCommandResult> CompleteAsync(ISandboxProcess process, int outputLimitBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = new OutputTail(outputLimitBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await foreach (var line in process.ReadOutputAsync(deadline.Token))
            {
                output.Add(line);
            }
            return new SandboxCommandResult(await process.Exited.WaitAsync(deadline.Token), output.ToString(), TimedOut: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await process.KillAsync();
            // The process is gone, so its output has ended: what is left unread is the last output before the kill.
            await foreach (var line in process.ReadOutputAsync(CancellationToken.None))
            {
                output.Add(line);
            }
            return new SandboxCommandResult(await process.Exited, output.ToString(), TimedOut: true);
        }
    }
}
