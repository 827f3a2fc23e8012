using System.Collections.Concurrent;

namespace LivePreview.Hosting;

/// <summary>
/// Owner of fire-and-forget work started by requests (provisioning a sandbox, say): every task is
/// tracked, its failure logged, and all of it cancelled and awaited at shutdown.
/// </summary>
public sealed partial class BackgroundWork(ILogger<BackgroundWork> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<Task, string> _running = new();

    public CancellationToken ShutdownToken => _shutdown.Token;

    public void Run(string name, Func<CancellationToken, Task> work)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work(_shutdown.Token);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, name);
            }
        });
        _running[task] = name;
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>Cancels and awaits everything still running; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _shutdown.CancelAsync();
        await Task.WhenAll(_running.Keys);
    }

    private int _disposed;

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Background work {Name} failed")]
    private static partial void LogFailed(ILogger logger, Exception ex, string name);
}
