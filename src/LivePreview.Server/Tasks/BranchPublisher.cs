using LivePreview.Git;
using LivePreview.Prototypes;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks;

/// <summary>
/// Pushes one named branch of a sandbox's repository to a remote. Git runs inside the sandbox only: it writes a bundle of
/// <c>refs/heads/{branch}</c> into the sandbox's workspace; the host copies it out bounded, unbundles it into a bare
/// repository it makes itself (<see cref="ImportedBundle"/>) and pushes exactly one refspec, <c>{commit}:refs/heads/{branch}</c>,
/// with <see cref="HostGit"/> to a remote that <see cref="GitRemotePolicy"/> accepted, with that host's credential. Whatever
/// else the sandbox's git puts in the bundle is never pushed: the branch asked for is the only ref that leaves.
/// </summary>
public sealed partial class BranchPublisher(
    ISandboxProvider provider, SandboxGit sandboxGit, HostGit git, GitRemotePolicy remotes, IOptionsMonitor<TaskOptions> options,
    ILogger<BranchPublisher> logger)
{
    /// <summary>Pushes <paramref name="branch"/> of the sandbox's workspace repository; returns the commit the remote's branch now points at.</summary>
    /// <exception cref="GitPushException">Bad branch name (400), no such branch (409), rejected (409), too big (413), unreachable (502), too slow (504).</exception>
    /// <exception cref="GitRemoteRefusedException">The remote is refused by LivePreview:Git:AllowedRemotes' policy.</exception>
    /// <exception cref="GitException">The sandbox's own git failed (its repository, hooks and config are its own).</exception>
    public async Task<string> PushAsync(string sandboxId, string branch, string remoteUrl, CancellationToken ct)
    {
        await ImportedBundle.ValidateBranchAsync(git, branch, ct);
        var remote = await remotes.CheckAsync(remoteUrl, ct);
        var fullRef = "refs/heads/" + branch;
        await sandboxGit.CreateBranchBundleAsync(sandboxId, branch, ct);
        await using var bundle = await provider.Files(sandboxId).OpenReadAsync(SandboxGit.ExportBundle, ct)
            ?? throw new GitPushException(409, $"The sandbox's git wrote no bundle of {fullRef}.");
        await using var imported = await ImportedBundle.ImportAsync(git, bundle, options.CurrentValue.MaxPushBytes, $"{TaskOptions.Section}:MaxPushBytes", ct);
        var commit = imported.CommitOf(fullRef);
        // The objects must really be there: the ref list is sandbox-written, the objects were checked by unbundle.
        await imported.GitAsync(ct, "cat-file", "-e", commit + "^{commit}");
        await imported.PushAsync(remote, commit, branch, ct);
        LogPushed(logger, sandboxId, branch, commit);
        return commit;
    }

    [LoggerMessage(EventId = 2560, Level = LogLevel.Information, Message = "Pushed branch {Branch} of sandbox {SandboxId} as {Commit}")]
    private static partial void LogPushed(ILogger logger, string sandboxId, string branch, string commit);
}
