using System.Collections.Concurrent;

namespace LivePreview.WarmPool;

/// <summary>
/// A pooled sandbox nobody has claimed yet, as this instance sees it (immutable; replaced on change).
/// Whether it can be claimed is not stored here: that is its preview's live state.
/// </summary>
/// <param name="UnreadySince">Since when it has not been ready (provisioning, adopted after a restart, a dev-server restart); null while ready.</param>
internal sealed record PoolMember(string SandboxId, string Framework, DateTimeOffset CreatedAt, DateTimeOffset? ReadyAt, DateTimeOffset? UnreadySince);

/// <summary>
/// The unclaimed members, in memory. The database row decides who gets a sandbox (a conditional update);
/// this table is what the filler counts, the claim picks candidates from and the dashboard hides.
/// </summary>
internal sealed class PoolMembers
{
    private readonly ConcurrentDictionary<string, PoolMember> _members = new(StringComparer.Ordinal);

    public bool Contains(string sandboxId) => _members.ContainsKey(sandboxId);

    public IReadOnlyList<PoolMember> All() => _members.Values.ToList();

    public IReadOnlyList<PoolMember> Of(string framework) => _members.Values.Where(m => m.Framework == framework).ToList();

    public int Count(string framework) => _members.Values.Count(m => m.Framework == framework);

    public void Add(PoolMember member) => _members[member.SandboxId] = member;

    public bool Remove(string sandboxId) => _members.TryRemove(sandboxId, out _);

    /// <summary>Replaces a member that is still here (a claim may have just taken it).</summary>
    public PoolMember? Update(string sandboxId, Func<PoolMember, PoolMember> change)
    {
        while (_members.TryGetValue(sandboxId, out var current))
        {
            var next = change(current);
            if (_members.TryUpdate(sandboxId, next, current))
            {
                return next;
            }
        }
        return null;
    }
}
