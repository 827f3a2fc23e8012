using System.Collections.Concurrent;
using System.Diagnostics;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Starts sandbox processes from one dedicated, long-lived thread. bwrap's <c>--die-with-parent</c>
/// is PR_SET_PDEATHSIG, which fires when the *thread* that forked the child exits, not the process:
/// started from a thread-pool thread, a dev server is SIGKILLed as soon as the pool retires that
/// thread (measured: within a second of the starting thread ending).
/// </summary>
internal sealed class ProcessLauncher : IDisposable
{
    private readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Result)> _requests = new();
    private readonly Thread _thread;

    public ProcessLauncher()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "LivePreview sandbox launcher" };
        _thread.Start();
    }

    public Task<Process> StartAsync(ProcessStartInfo start)
    {
        var result = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((start, result));
        return result.Task;
    }

    /// <summary>Ends the thread, which kills (through PDEATHSIG) whatever it started that is still running.</summary>
    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    private void Run()
    {
        foreach (var (start, result) in _requests.GetConsumingEnumerable())
        {
            try
            {
                result.SetResult(Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{start.FileName}'."));
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }
    }
}
