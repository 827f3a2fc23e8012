using LivePreview.Git;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// Pushes a prototype to a branch of a git remote. The host only touches a bare repository it makes itself, filled from
/// a bundle the sandbox wrote — never the sandbox's own .git — (<see cref="ImportedBundle"/>, shared with the tasks' branch
/// push) and every git command goes through <see cref="HostGit"/> (hooks off, no config but ours, one transport). The
/// remote was accepted by <see cref="GitRemotePolicy"/> before.
/// The git CLI rather than LibGit2Sharp: ssh remotes need it.
/// </summary>
public sealed partial class GitExporter(HostGit git, IOptions<PrototypeOptions> options, ILogger<GitExporter> logger)
{
    public async Task<string> PushAsync(Stream bundle, GitRemote remote, ExportRequestData request, CancellationToken ct)
    {
        try
        {
            await ImportedBundle.ValidateBranchAsync(git, request.Branch, ct);
            await using var imported = await ImportedBundle.ImportAsync(git, bundle, options.Value.MaxExportBytes, "LivePreview:Prototypes:MaxExportBytes", ct);
            var main = imported.CommitOf("refs/heads/main");
            var tree = (await imported.GitAsync(ct, "rev-parse", "--verify", $"{main}^{{tree}}")).Trim();
            var commit = (await imported.GitAsync(ct, "-c", "user.name=LivePreview", "-c", "user.email=agent@livepreview.invalid",
                "commit-tree", tree, "-p", main, "-m", request.Message)).Trim();
            await imported.PushAsync(remote, commit, request.Branch, ct);
            LogExported(logger, request.Branch, commit);
            return commit;
        }
        catch (GitPushException e)
        {
            throw new ExportException(e.Status, e.Message);
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Exported prototype to branch {Branch} as {Commit}")]
    private static partial void LogExported(ILogger logger, string branch, string commit);
}

public sealed record ExportRequestData(string RepoUrl, string Branch, string Message);

/// <summary>An export failure with the HTTP status that describes it (400 bad input, 409 rejected, 502 unreachable, 504 too slow).</summary>
public sealed class ExportException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
