namespace LivePreview.Proxy;

/// <summary>
/// How many browsers have a sandbox's preview open right now, counted as the WebSockets the proxy is forwarding to it
/// (the dev server's HMR socket: one per open page of a Vite or Next app). What the agent is told after an edit
/// depends on it: nobody watching means nothing will be painted, so there is nothing to wait for.
/// </summary>
/// <remarks>
/// Per instance, which is enough: a preview's requests are forwarded to the instance that runs its sandbox
/// (Instances/), so its sockets pass this instance's proxy. A page whose socket is reconnecting counts as closed.
/// </remarks>
internal sealed class PreviewViewers
{
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Counts one open socket until the returned handle is disposed.</summary>
    public IDisposable Enter(string sandboxId)
    {
        lock (_open)
        {
            _open[sandboxId] = _open.GetValueOrDefault(sandboxId) + 1;
        }
        return new Leave(this, sandboxId);
    }

    public int Count(string sandboxId)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault(sandboxId);
        }
    }

    private void Exit(string sandboxId)
    {
        lock (_open)
        {
            if (_open.TryGetValue(sandboxId, out var count) && count > 1)
            {
                _open[sandboxId] = count - 1;
            }
            else
            {
                _open.Remove(sandboxId);
            }
        }
    }

    private sealed class Leave(PreviewViewers viewers, string sandboxId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                viewers.Exit(sandboxId);
            }
        }
    }
}
