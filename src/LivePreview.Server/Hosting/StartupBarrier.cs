namespace LivePreview.Hosting;

/// <summary>
/// Opens once start-up reconciliation has run (stored previews loaded, sandboxes attached again).
/// Background work that creates sandboxes or previews waits for it: created earlier, a preview could
/// be overwritten by the reload of stored ones, and a sandbox still <c>creating</c> provisioned twice.
/// </summary>
public sealed class StartupBarrier
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _open.Task.IsCompleted;

    public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);

    /// <summary>Also after a failed reconciliation: what waits is no worse off than without a barrier.</summary>
    internal void Open() => _open.TrySetResult();
}
