using System.Collections.Concurrent;

namespace LivePreview.Sandboxes.Local;

/// <summary>Every process started in every sandbox until it exits, so Stop, Delete and shutdown leave nothing running.</summary>
internal sealed class ProcessRegistry(ILogger logger)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<LocalSandboxProcess, byte>> _bySandbox = new(StringComparer.Ordinal);

    public void Add(string sandboxId, LocalSandboxProcess process)
    {
        var processes = _bySandbox.GetOrAdd(sandboxId, _ => new());
        processes.TryAdd(process, 0);
        process.Exited.ContinueWith(exited => processes.TryRemove(process, out _), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Kills every process of the sandbox and waits until their trees are gone; returns how many there were.</summary>
    public async Task<int> KillAllAsync(string sandboxId)
    {
        if (!_bySandbox.TryGetValue(sandboxId, out var processes))
        {
            return 0;
        }
        var running = processes.Keys.ToList();
        await Task.WhenAll(running.Select(p => KillAsync(sandboxId, p)));
        return running.Count;
    }

    public Task KillEverythingAsync() => Task.WhenAll(_bySandbox.Keys.ToList().Select(KillAllAsync));

    /// <summary>A tree that will not die is logged, not thrown: the rest of a stop or delete must still happen.</summary>
    private async Task KillAsync(string sandboxId, LocalSandboxProcess process)
    {
        try
        {
            await process.KillAsync();
        }
        catch (TimeoutException)
        {
            LocalSandboxLog.KillTimedOut(logger, sandboxId, process.ProcessId);
        }
    }
}
