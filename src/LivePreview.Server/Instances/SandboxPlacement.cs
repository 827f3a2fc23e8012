namespace LivePreview.Instances;

/// <summary>
/// Where a new sandbox goes, among the live instances (each with its figures from its last heartbeat). Replaceable:
/// register another implementation before <c>AddInstances</c>.
/// </summary>
public interface ISandboxPlacementPolicy
{
    /// <summary>The instance to run the next sandbox, or null when none has room.</summary>
    InstanceRecord? Choose(IReadOnlyList<InstanceRecord> live);
}

/// <summary>
/// The default: the instance with the most free sandbox slots (<c>MaxSandboxes</c> minus its sandboxes), the most free
/// memory breaking ties, then the id (so every instance picks the same one from the same figures).
/// </summary>
public sealed class MostFreeCapacityPlacement : ISandboxPlacementPolicy
{
    public InstanceRecord? Choose(IReadOnlyList<InstanceRecord> live) => live
        .Where(i => i.SandboxCount < i.MaxSandboxes)
        .OrderByDescending(i => i.MaxSandboxes - i.SandboxCount)
        .ThenByDescending(i => i.FreeMemoryMb)
        .ThenBy(i => i.Id, StringComparer.Ordinal)
        .FirstOrDefault();
}

/// <summary>Applies the policy to API creates: another instance when the policy picks one, else this one (which admits or refuses as always).</summary>
public sealed class SandboxPlacement(InstanceDirectory directory, InstanceIdentity identity, ISandboxPlacementPolicy policy)
{
    public async Task<InstanceRecord?> ElsewhereAsync(CancellationToken cancellationToken)
    {
        var live = await directory.LiveAsync(cancellationToken);
        if (live.Count < 2 || live.All(i => i.Id == identity.Id) || !directory.CanForward)
        {
            return null;
        }
        var chosen = policy.Choose(live);
        return chosen is null || chosen.Id == identity.Id ? null : chosen;
    }
}
