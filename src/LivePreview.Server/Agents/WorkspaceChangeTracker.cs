using System.Runtime.CompilerServices;
using LivePreview.Sandboxes;
using LivePreview.Workspaces;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>
/// Announces the edits of agents that change the workspace themselves (<see cref="IAgentAdapter.EditsWorkspaceDirectly"/>:
/// Claude Code, OpenCode), which never pass through <see cref="WorkspaceFiles"/>: the workspace's files are
/// recorded when the turn starts, looked at again after every tool call and at the turn's end, and each change
/// is published once as FILE_CHANGED / FILE_DELETED with its diff (source "agent"), before the tool's
/// completion is passed on. Reads go through <see cref="WorkspaceFiles"/> and the sandbox's file system
/// (no links followed, regular files only); dependency and build folders are skipped and the record is
/// bounded (<see cref="WorkspaceChangeOptions"/>).
/// </summary>
public sealed class WorkspaceChangeTracker(
    ISandboxProvider provider,
    WorkspaceFiles files,
    IOptionsMonitor<WorkspaceChangeOptions> options,
    TimeProvider time,
    ILogger<WorkspaceChangeTracker> logger)
{
    public const string Source = "agent";

    // What a turn's TrackedWorkspace reads of its tracker.
    private WorkspaceFiles Files => files;

    private ISandboxProvider Provider => provider;

    private TimeProvider Time => time;

    private ILogger Logger => logger;

    /// <summary>
    /// <paramref name="agentEvents"/> with the workspace's changes published along the way; unchanged when the
    /// adapter writes through <see cref="IAgentWorkspace"/> (its changes are announced already).
    /// </summary>
    public IAsyncEnumerable<AgentEvent> Track(string sandboxId, IAgentAdapter agent, IAsyncEnumerable<AgentEvent> agentEvents, CancellationToken ct) =>
        agent.EditsWorkspaceDirectly ? TrackCoreAsync(sandboxId, agentEvents, ct) : agentEvents;

    /// <summary>Records the workspace as it is now; <see cref="TrackedWorkspace.PublishChangesAsync"/> announces what changed since.</summary>
    public async Task<TrackedWorkspace> StartAsync(string sandboxId, CancellationToken ct)
    {
        var tracked = new TrackedWorkspace(this, sandboxId, options.CurrentValue);
        await tracked.RecordAsync(ct);
        return tracked;
    }

    private async IAsyncEnumerable<AgentEvent> TrackCoreAsync(string sandboxId, IAsyncEnumerable<AgentEvent> agentEvents, [EnumeratorCancellation] CancellationToken ct)
    {
        var tracked = await StartAsync(sandboxId, ct);
        var settled = false;
        try
        {
            await foreach (var e in agentEvents.WithCancellation(ct))
            {
                if (e is AgentToolCompleted or AgentTurnCompleted or AgentFailed)
                {
                    await PublishSafelyAsync(tracked, ct);
                    settled = e is not AgentToolCompleted;
                }
                yield return e;
            }
        }
        finally
        {
            // Interrupted or ended without a last event: what the agent wrote before it stopped is still announced.
            if (!settled)
            {
                await PublishSafelyAsync(tracked, CancellationToken.None);
            }
        }
    }

    private async Task PublishSafelyAsync(TrackedWorkspace tracked, CancellationToken ct)
    {
        try
        {
            await tracked.PublishChangesAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A sandbox that vanished or a file that cannot be read must not fail the agent's turn.
            WorkspaceChangeLog.ScanFailed(logger, ex, tracked.SandboxId);
        }
    }

    /// <summary>One turn's record of a workspace. Not thread-safe: one turn looks at it at a time.</summary>
    public sealed class TrackedWorkspace
    {
        // Timestamps of many file systems are coarse (a kernel tick): a file rewritten with the same size
        // within that window of a scan keeps its mtime, so files touched this close to the last scan are
        // compared by content (git's "racily clean" rule).
        private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

        private readonly WorkspaceChangeTracker _owner;
        private readonly WorkspaceChangeOptions _limits;
        private readonly HashSet<string> _excluded;
        private Dictionary<string, Tracked> _known = new(StringComparer.Ordinal);
        private DateTimeOffset _lastScan;
        private long _contentBytes;
        private bool _warned;

        internal TrackedWorkspace(WorkspaceChangeTracker owner, string sandboxId, WorkspaceChangeOptions limits)
        {
            _owner = owner;
            SandboxId = sandboxId;
            _limits = limits;
            _excluded = new HashSet<string>(limits.ExcludedDirectories, StringComparer.Ordinal);
        }

        public string SandboxId { get; }

        /// <summary>Paths recorded, for tests and logs.</summary>
        public int Count => _known.Count;

        internal async Task RecordAsync(CancellationToken ct)
        {
            _lastScan = _owner.Time.GetUtcNow();
            var (entries, _) = await ScanAsync(ct);
            foreach (var entry in entries)
            {
                if (await ReadAsync(entry, ct) is { } read)
                {
                    _known[entry.Path] = new Tracked(entry.Size, entry.ModifiedAt, read.Content);
                }
            }
        }

        /// <summary>Publishes every file created, changed or deleted since the last look, once; returns how many.</summary>
        public async Task<int> PublishChangesAsync(CancellationToken ct)
        {
            var racyBefore = _lastScan - RacyWindow;
            _lastScan = _owner.Time.GetUtcNow();
            var (entries, truncated) = await ScanAsync(ct);
            var next = new Dictionary<string, Tracked>(StringComparer.Ordinal);
            var published = 0;
            foreach (var entry in entries)
            {
                _known.TryGetValue(entry.Path, out var old);
                var candidate = old is null || old.Size != entry.Size || old.ModifiedAt != entry.ModifiedAt || entry.ModifiedAt >= racyBefore;
                if (!candidate)
                {
                    next[entry.Path] = old!;
                    continue;
                }
                if (old is not null)
                {
                    Release(old);
                }
                if (await ReadAsync(entry, ct) is not { } read)
                {
                    continue; // Not a regular file (any more): nothing to announce or to diff against.
                }
                var now = new Tracked(entry.Size, entry.ModifiedAt, read.Content);
                next[entry.Path] = now;
                if (old is null || Differs(old, now))
                {
                    await AnnounceAsync(entry.Path, old, now);
                    published++;
                }
            }
            foreach (var (path, old) in _known)
            {
                // Past MaxFiles a file may just not have been reached: it is gone only if it is not there.
                if (!next.ContainsKey(path) && (!truncated || await _owner.Files.StatAsync(SandboxId, path, ct) is null))
                {
                    await _owner.Files.PublishChangeAsync(SandboxId, path, old.Content ?? FileContent.TooLarge, null, Source);
                    published++;
                }
                else if (!next.ContainsKey(path))
                {
                    next[path] = old;
                }
            }
            _known = next;
            _contentBytes = next.Values.Sum(t => (long)(t.Content?.Bytes.Length ?? 0));
            return published;
        }

        private Task AnnounceAsync(string path, Tracked? old, Tracked now)
        {
            WorkspaceChangeLog.Changed(_owner.Logger, SandboxId, path, old is null);
            var before = old is null ? null : old.Content ?? FileContent.TooLarge;
            return now.Content is { IsTooLarge: false } after
                ? _owner.Files.PublishChangeAsync(SandboxId, path, before, after.Bytes, Source)
                : _owner.Files.PublishLargeChangeAsync(SandboxId, path, now.Size, old is null, Source);
        }

        private static bool Differs(Tracked old, Tracked now) =>
            old.Content is { IsTooLarge: false } a && now.Content is { IsTooLarge: false } b
                ? !a.Bytes.Span.SequenceEqual(b.Bytes.Span)
                : old.Size != now.Size || old.ModifiedAt != now.ModifiedAt;

        /// <summary>
        /// Null when there is no regular file at the path (a FIFO, a link leading nowhere, gone again); else its content
        /// while the byte budget lasts, past it a null content: the file is then known by size and time only.
        /// </summary>
        private async Task<Read?> ReadAsync(SandboxFileEntry entry, CancellationToken ct)
        {
            if (_contentBytes + entry.Size > _limits.MaxTotalBytes)
            {
                return await _owner.Files.StatAsync(SandboxId, entry.Path, ct) is { IsDirectory: false } ? new Read(null) : null;
            }
            if (await _owner.Files.ReadForDiffAsync(_owner.Provider.Files(SandboxId), entry.Path, ct) is not { } content)
            {
                return null;
            }
            _contentBytes += content.Bytes.Length;
            return new Read(content);
        }

        private sealed record Read(FileContent? Content);

        private void Release(Tracked tracked) => _contentBytes -= tracked.Content?.Bytes.Length ?? 0;

        /// <summary>
        /// Every file below the workspace root outside the skipped folders, up to MaxFiles entries (folders count
        /// too, so a link loop planted in the workspace ends the walk); true when cut there.
        /// </summary>
        private async Task<(List<SandboxFileEntry> Files, bool Truncated)> ScanAsync(CancellationToken ct)
        {
            var found = new List<SandboxFileEntry>();
            var seen = 0;
            var pending = new Stack<string>();
            pending.Push("");
            while (pending.TryPop(out var directory))
            {
                foreach (var entry in await _owner.Files.ListAsync(SandboxId, directory, ct) ?? [])
                {
                    if (++seen > _limits.MaxFiles)
                    {
                        WarnOnce();
                        return (found, true);
                    }
                    if (entry.IsDirectory)
                    {
                        if (!_excluded.Contains(entry.Name))
                        {
                            pending.Push(entry.Path);
                        }
                        continue;
                    }
                    found.Add(entry);
                }
            }
            return (found, false);
        }

        private void WarnOnce()
        {
            if (!_warned)
            {
                _warned = true;
                WorkspaceChangeLog.TooManyFiles(_owner.Logger, SandboxId, _limits.MaxFiles);
            }
        }

        /// <param name="Content">Null when not kept (over the byte budget); <see cref="FileContent.TooLarge"/> when too large to diff.</param>
        private sealed record Tracked(long Size, DateTimeOffset ModifiedAt, FileContent? Content);
    }
}

/// <summary>Log messages of the workspace change tracker (event ids 2250–2259).</summary>
internal static partial class WorkspaceChangeLog
{
    [LoggerMessage(EventId = 2250, Level = LogLevel.Debug, Message = "Agent changed {Path} in sandbox {SandboxId} (new: {Created})")]
    public static partial void Changed(ILogger logger, string sandboxId, string path, bool created);

    [LoggerMessage(EventId = 2251, Level = LogLevel.Warning, Message = "Sandbox {SandboxId} has more than {MaxFiles} files outside skipped folders; the rest of its edits are not announced (LivePreview:Agents:WorkspaceChanges:MaxFiles)")]
    public static partial void TooManyFiles(ILogger logger, string sandboxId, int maxFiles);

    [LoggerMessage(EventId = 2252, Level = LogLevel.Warning, Message = "Looking for the agent's changes in sandbox {SandboxId} failed")]
    public static partial void ScanFailed(ILogger logger, Exception exception, string sandboxId);
}
