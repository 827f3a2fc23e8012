using LivePreview.Git;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// Pushes a prototype to a branch of a git remote. The host only touches a bare repository it makes itself, filled from
/// a bundle the sandbox wrote — never the sandbox's own .git — and every git command goes through <see cref="HostGit"/>
/// (hooks off, no config but ours, one transport). The remote was accepted by <see cref="GitRemotePolicy"/> before.
/// The git CLI rather than LibGit2Sharp: ssh remotes need it.
/// </summary>
public sealed partial class GitExporter(HostGit git, IOptions<PrototypeOptions> options, ILogger<GitExporter> logger)
{
    public async Task<string> PushAsync(Stream bundle, GitRemote remote, ExportRequestData request, CancellationToken ct)
    {
        await ValidateBranchAsync(request.Branch, ct);
        var work = Directory.CreateTempSubdirectory("livepreview-export-");
        try
        {
            var bundlePath = Path.Join(work.FullName, "prototype.bundle");
            await CopyBoundedAsync(bundle, bundlePath, ct);
            var repo = Path.Join(work.FullName, "repo.git");
            await GitAsync(null, ct, "init", "-q", "--bare", repo);
            // unbundle, not fetch: reading a bundle through fetch needs the file protocol, which stays off unless the remote is local.
            var main = MainCommit(await GitAsync(repo, ct, "bundle", "unbundle", bundlePath));
            var tree = (await GitAsync(repo, ct, "rev-parse", "--verify", $"{main}^{{tree}}")).Trim();
            var commit = (await GitAsync(repo, ct, "-c", "user.name=LivePreview", "-c", "user.email=agent@livepreview.invalid",
                "commit-tree", tree, "-p", main, "-m", request.Message)).Trim();
            await PushAsync(repo, remote, $"{commit}:refs/heads/{request.Branch}", ct);
            LogExported(logger, request.Branch, commit);
            return commit;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The bundle is sandbox-written: a huge repository must not fill the host's temp folder.</summary>
    private async Task CopyBoundedAsync(Stream bundle, string path, CancellationToken ct)
    {
        var max = options.Value.MaxExportBytes;
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        int read;
        while ((read = await bundle.ReadAsync(buffer, ct)) > 0)
        {
            if (file.Length + read > max)
            {
                throw new ExportException(413, $"The prototype's history is larger than {max} bytes (LivePreview:Prototypes:MaxExportBytes).");
            }
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    /// <summary>The commit of refs/heads/main in <c>bundle unbundle</c>'s "sha ref" lines; the bundle is sandbox-written, so only a plain sha is taken.</summary>
    private static string MainCommit(string unbundled) =>
        unbundled.Split('\n', StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2 && parts[1] == "refs/heads/main" && parts[0].Length is 40 or 64 && parts[0].All(Uri.IsHexDigit))
            .Select(parts => parts[0])
            .FirstOrDefault()
        ?? throw new ExportException(409, "The sandbox's export bundle has no main branch.");

    private async Task ValidateBranchAsync(string? branch, CancellationToken ct)
    {
        if (!await git.IsValidBranchAsync(branch, ct))
        {
            throw new ExportException(400, $"'{branch}' is not a valid branch name (see git check-ref-format).");
        }
    }

    private async Task PushAsync(string repo, GitRemote remote, string refspec, CancellationToken ct)
    {
        var result = await Bounded(() => git.PushAsync(repo, remote, [refspec], ct));
        if (result.ExitCode == 0)
        {
            return;
        }
        var output = result.Combined;
        throw output.Contains("[rejected]", StringComparison.Ordinal) || output.Contains("non-fast-forward", StringComparison.Ordinal)
            ? new ExportException(409, $"The remote rejected the push to that branch (it has commits the prototype does not). Choose a new branch. {Last(output)}")
            : new ExportException(502, $"Could not push to '{remote.Url}': {Last(output)}");
    }

    private async Task<string> GitAsync(string? repo, CancellationToken ct, params string[] args)
    {
        var result = await Bounded(() => git.RunAsync(repo, args, ct));
        return result.ExitCode == 0 ? result.Output : throw new ExportException(500, $"git {args[0]} failed: {Last(result.Combined)}");
    }

    private static async Task<GitResult> Bounded(Func<Task<GitResult>> run)
    {
        try
        {
            return await run();
        }
        catch (GitTimeoutException e)
        {
            throw new ExportException(504, e.Message);
        }
    }

    private static string Last(string output) => output.Length <= 400 ? output.Trim() : output[^400..].Trim();

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Exported prototype to branch {Branch} as {Commit}")]
    private static partial void LogExported(ILogger logger, string branch, string commit);
}

public sealed record ExportRequestData(string RepoUrl, string Branch, string Message);

/// <summary>An export failure with the HTTP status that describes it (400 bad input, 409 rejected, 502 unreachable, 504 too slow).</summary>
public sealed class ExportException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
