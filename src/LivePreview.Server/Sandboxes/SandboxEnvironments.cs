namespace LivePreview.Sandboxes;

/// <summary>
/// How every provider applies the registered <see cref="ISandboxEnvironment"/>s: one rule for which of the service's
/// variables a process gets, and one release, so Local, Daytona and Kubernetes cannot drift apart.
/// </summary>
internal static class SandboxEnvironments
{
    /// <summary>
    /// The variables a process about to start gets: the service's (for an exact environment only those marked
    /// <see cref="ISandboxEnvironment.KeptInExactEnvironments"/>) under the caller's own. Every environment is prepared
    /// even for an exact one: what its variables point to (the gateway listener) must be open.
    /// </summary>
    /// <param name="network">The sandbox's network for listeners inside it; null when the provider cannot host one.</param>
    public static async Task<Dictionary<string, string>> MergeAsync(
        this IReadOnlyList<ISandboxEnvironment> environments, string sandboxId, ISandboxNetworkAccess? network, SandboxProcessSpec spec, CancellationToken cancellationToken)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var environment in environments)
        {
            var variables = await environment.PrepareAsync(sandboxId, network, cancellationToken);
            if (!spec.ExactEnvironment || environment.KeptInExactEnvironments)
            {
                foreach (var (name, value) in variables)
                {
                    merged[name] = value;
                }
            }
        }
        foreach (var (name, value) in spec.Environment ?? new Dictionary<string, string>())
        {
            merged[name] = value;
        }
        return merged;
    }

    /// <summary>The sandbox is stopped or deleted: each environment closes what it opened for it.</summary>
    public static async Task ReleaseAsync(this IReadOnlyList<ISandboxEnvironment> environments, string sandboxId)
    {
        foreach (var environment in environments)
        {
            await environment.ReleaseAsync(sandboxId);
        }
    }
}
