using System.Text;

namespace LivePreview.Commands;

/// <summary>A command run to its end for the agent's <c>run_command</c> tool: the same path as the API (record, events, bounds).</summary>
public sealed partial class CommandService
{
    /// <summary>
    /// Starts the command, closes its stdin (the model has nothing to type), waits for its end and returns
    /// its record with the last <paramref name="tailChars"/> characters of its kept output. A cancelled
    /// wait (the turn was stopped) kills the command, so nothing outlives the turn that started it.
    /// </summary>
    public async Task<(CommandRecord Record, string OutputTail)> RunToEndAsync(string sandboxId, CommandRequest request, int tailChars, CancellationToken cancellationToken)
    {
        var started = await StartAsync(sandboxId, request, cancellationToken);
        if (_running.TryGetValue(started.Id, out var run))
        {
            try
            {
                await WriteInputAsync(sandboxId, started.Id, ReadOnlyMemory<byte>.Empty, eof: true, cancellationToken);
            }
            catch (CommandEndedException)
            {
                // It ended (or closed its stdin) before we did.
            }
            try
            {
                await run.Done.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await EndAsync(run, CommandStatus.Killed);
                throw;
            }
        }
        var record = await GetAsync(sandboxId, started.Id, CancellationToken.None);
        var (kept, _) = await ReadOutputAsync(sandboxId, started.Id, follow: false, CancellationToken.None);
        var text = Encoding.UTF8.GetString(kept);
        return (record, text.Length > tailChars ? "[… earlier output left out …]\n" + text[^tailChars..] : text);
    }
}
