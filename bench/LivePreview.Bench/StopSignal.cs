using System.Runtime.InteropServices;

namespace LivePreview.Bench;

/// <summary>
/// The first Ctrl+C or SIGTERM cancels <see cref="Token"/>, so a bench stops measuring and cleans up (services, sandboxes,
/// folders); a second one is not intercepted and ends the process at once. Shared by the bench programs.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public StopSignal()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancel.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = !_cancel.IsCancellationRequested;
        _cancel.Cancel();
    }
}
