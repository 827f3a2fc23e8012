using System.Threading.Channels;

namespace LivePreview.WarmPool;

/// <summary>
/// "The pool changed": wakes the filler (a claim or an eviction leaves a gap to fill) and tells the
/// dashboard to redraw. Wake-ups coalesce: many changes while the filler works wake it once.
/// </summary>
internal sealed partial class PoolSignal(ILogger<PoolSignal> logger)
{
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public event Action? Changed;

    /// <summary>Never throws: it runs right after a claim, which must still reach its session.</summary>
    public void Notify()
    {
        _wake.Writer.TryWrite(0);
        foreach (var handler in Changed?.GetInvocationList().Cast<Action>() ?? [])
        {
            try
            {
                handler();
            }
            catch (Exception ex)
            {
                LogHandlerFailed(logger, ex);
            }
        }
    }

    /// <summary>Returns on a notification or after <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            _wake.Reader.TryRead(out _);
            return;
        }
        using var delay = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, delay.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1050, Level = LogLevel.Warning, Message = "A warm pool change listener failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex);
}
