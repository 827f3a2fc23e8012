using LivePreview.Git;

namespace LivePreview.Repositories;

/// <summary>What the sandbox manager needs to make a sandbox from a repository, in one constructor argument.</summary>
public sealed class RepositoryServices(GitRemotePolicy policy, HostGit git, RepositoryCloner cloner, IAppDetector detector, IDependencyLayers layers)
{
    public GitRemotePolicy Policy { get; } = policy;
    public HostGit Git { get; } = git;
    public RepositoryCloner Cloner { get; } = cloner;
    public IAppDetector Detector { get; } = detector;
    public IDependencyLayers Layers { get; } = layers;
}
