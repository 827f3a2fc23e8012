namespace LivePreview.Sandboxes;

/// <summary>
/// Variables the service gives every process it starts in a sandbox (the gateway's token and URLs,
/// the registry proxy). The provider asks each registered environment on every launch — dev servers,
/// commands and terminals all go through that one place — so no launcher can forget them, and the
/// service's own environment never reaches a sandbox (it is cleared; only these are set).
/// </summary>
public interface ISandboxEnvironment
{
    /// <summary>
    /// The variables for a process about to start in <paramref name="sandboxId"/>. An environment may first
    /// open what the variables point to (a listener inside the sandbox's network through <paramref name="network"/>;
    /// null when the provider cannot host one). Called under the provider's per-sandbox lock, so it must not launch.
    /// </summary>
    ValueTask<IReadOnlyDictionary<string, string>> PrepareAsync(string sandboxId, ISandboxNetworkAccess? network, CancellationToken cancellationToken);

    /// <summary>
    /// Also given to a process started with <see cref="SandboxProcessSpec.ExactEnvironment"/> (a CLI agent), under its
    /// own variables: true for what carries no credential and which the process needs to work in the sandbox at all
    /// (the registry proxy, so an agent's <c>npm install</c> works); false for the gateway's token and URLs, which the
    /// agent's adapter sets itself.
    /// </summary>
    bool KeptInExactEnvironments => false;

    /// <summary>The sandbox is stopped or deleted: close whatever <see cref="PrepareAsync"/> opened for it.</summary>
    ValueTask ReleaseAsync(string sandboxId);
}
