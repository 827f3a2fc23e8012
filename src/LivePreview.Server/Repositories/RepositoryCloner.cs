using LivePreview.Git;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Repositories;

/// <summary>
/// Clones a repository on the host into <c>{DataDirectory}/sources/{sandboxId}</c>, a folder only the service enters,
/// through <see cref="HostGit"/> (hooks, fsmonitor and foreign config off; one transport; the host's credential for that
/// host only). The clone becomes the sandbox's top read-only lower layer; after the clone and one <c>rev-parse</c> the
/// host never runs git in it again (its content is the repository's, hostile). Bounded by
/// <see cref="RepositoryOptions.MaxCloneBytes"/> (watched while git runs) and the git timeout.
/// </summary>
public sealed class RepositoryCloner(HostGit git, IOptions<LivePreviewOptions> service, IOptionsMonitor<RepositoryOptions> options)
{
    private static readonly TimeSpan SizeCheckInterval = TimeSpan.FromMilliseconds(500);

    public string SourcesRoot { get; } = Path.Join(service.Value.ResolveDataDirectory(), "sources");

    public string SourceDirectory(string sandboxId) => Path.Join(SourcesRoot, sandboxId);

    /// <summary>Clones and returns the commit checked out.</summary>
    /// <exception cref="RepositoryException">422 when git failed (its last lines), 507 when the clone grew past the bound, 504 when it took too long.</exception>
    public async Task<string> CloneAsync(string sandboxId, GitRemote remote, string? branch, CancellationToken ct)
    {
        var target = SourceDirectory(sandboxId);
        Directory.CreateDirectory(SourcesRoot);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(SourcesRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var max = options.CurrentValue.MaxCloneBytes;
        using var tooBig = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var watch = WatchSizeAsync(target, max, tooBig);
        GitResult result;
        try
        {
            result = await git.CloneAsync(remote, branch, target, tooBig.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Delete(sandboxId);
            throw new RepositoryException(507, $"The repository is larger than {max / 1024 / 1024} MiB on disk (LivePreview:Repositories:MaxCloneBytes).");
        }
        catch (GitTimeoutException e)
        {
            Delete(sandboxId);
            throw new RepositoryException(504, e.Message);
        }
        if (result.ExitCode != 0)
        {
            Delete(sandboxId);
            throw new RepositoryException(422, $"Could not clone '{remote.Url}'{(branch is null ? "" : $" (branch '{branch}')")}: {Last(result.Combined)}");
        }
        var head = await git.RunAsync(target, ["rev-parse", "--verify", "HEAD^{commit}"], ct);
        var commit = head.Output.Trim();
        if (head.ExitCode != 0 || commit.Length is not (40 or 64) || !commit.All(Uri.IsHexDigit))
        {
            Delete(sandboxId);
            throw new RepositoryException(422, "The clone has no commit checked out (an empty repository?).");
        }
        // Written last, beside the folder (inside it would be a file of the workspace): a finished checkout's manifest,
        // which is what lets the provider hand a lower layer to the sandbox user once instead of at every attach.
        await File.WriteAllTextAsync(ManifestOf(sandboxId), RepositoryJson.Write(new { commit, remote = remote.Url }), ct);
        return commit;
    }

    private string ManifestOf(string sandboxId) => SourceDirectory(sandboxId) + ".json";

    /// <summary>Removes a sandbox's checkout (the sandbox is gone, or its create failed). Links inside are removed, never followed.</summary>
    public void Delete(string sandboxId)
    {
        File.Delete(ManifestOf(sandboxId));
        var target = SourceDirectory(sandboxId);
        if (Directory.Exists(target))
        {
            Snapshots.SnapshotLayout.DeleteDirectory(target);
        }
    }

    /// <summary>Cancels <paramref name="tooBig"/> once the folder holds more than <paramref name="max"/> bytes.</summary>
    private static Timer WatchSizeAsync(string target, long max, CancellationTokenSource tooBig) =>
        new(_ =>
        {
            try
            {
                if (Directory.Exists(target) && SourceFiles.SizeOf(target) > max)
                {
                    tooBig.Cancel();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
            }
        }, null, SizeCheckInterval, SizeCheckInterval);

    private static string Last(string output) => output.Length <= 600 ? output.Trim() : output[^600..].Trim();
}
