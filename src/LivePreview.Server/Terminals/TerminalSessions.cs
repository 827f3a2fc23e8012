using System.Collections.Concurrent;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Terminals;

/// <summary>
/// Every live terminal, by sandbox and name. A terminal ends when its shell exits, when it was detached too long, or
/// when its sandbox stops or is deleted (the provider kills every sandbox process, the shell included).
/// </summary>
internal sealed class TerminalSessions(ISandboxProvider provider, IOptions<TerminalOptions> options, TimeProvider time, ILogger<TerminalSessions> logger)
    : IAsyncDisposable
{
    public const string DefaultName = "default";

    private readonly ConcurrentDictionary<(string SandboxId, string Name), TerminalSession> _sessions = new();
    private readonly SemaphoreSlim _opening = new(1, 1);

    /// <summary>The live terminal of that name, or a new shell (<see cref="TerminalLimitException"/> past the limit).</summary>
    public async Task<TerminalSession> OpenAsync(string sandboxId, string name, int columns, int rows, CancellationToken cancellationToken)
    {
        var key = (sandboxId, name);
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_sessions.TryGetValue(key, out var live) && !live.Closed.IsCompleted)
            {
                return live;
            }
            var limit = options.Value.MaxPerSandbox;
            if (_sessions.Count(s => s.Key.SandboxId == sandboxId && !s.Value.Closed.IsCompleted) >= limit)
            {
                throw new TerminalLimitException(limit);
            }
            var terminal = await provider.StartTerminalAsync(sandboxId, new SandboxTerminalSpec(columns, rows), cancellationToken);
            var session = new TerminalSession(sandboxId, name, terminal, options.Value, time, logger);
            _sessions[key] = session;
            _ = session.Closed.ContinueWith(_ => _sessions.TryRemove(KeyValuePair.Create(key, session)),
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            TerminalLog.Opened(logger, sandboxId, name);
            return session;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Names of the sandbox's live terminals.</summary>
    public IReadOnlyList<string> Names(string sandboxId) =>
        _sessions.Where(s => s.Key.SandboxId == sandboxId && !s.Value.Closed.IsCompleted).Select(s => s.Key.Name).Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_sessions.Values.Select(s => s.KillAsync()));
        _opening.Dispose();
    }
}
