namespace LivePreview.Git;

/// <summary>
/// The host side of pushing from a sandbox's repository: a bundle the sandbox wrote (its own git made it, inside the
/// sandbox) is copied, bounded, into a temporary folder of the host's, unbundled into a bare repository the host just made,
/// and pushed from there with <see cref="HostGit"/>. The host never opens the sandbox's .git (its hooks and config are the
/// sandbox's); the bundle's ref list is sandbox-written too, so only plain "sha ref" lines naming the ref asked for count.
/// </summary>
public sealed class ImportedBundle : IAsyncDisposable
{
    private readonly HostGit _git;
    private readonly DirectoryInfo _work;
    private readonly Dictionary<string, string> _refs;

    private ImportedBundle(HostGit git, DirectoryInfo work, string repository, Dictionary<string, string> refs)
    {
        _git = git;
        _work = work;
        Repository = repository;
        _refs = refs;
    }

    /// <summary>The host-made bare repository holding the bundle's objects (no refs: unbundle writes objects only).</summary>
    public string Repository { get; }

    /// <param name="maxSetting">The setting that bounds <paramref name="maxBytes"/>, named in the error.</param>
    public static async Task<ImportedBundle> ImportAsync(HostGit git, Stream bundle, long maxBytes, string maxSetting, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("livepreview-bundle-");
        try
        {
            var bundlePath = Path.Join(work.FullName, "sandbox.bundle");
            await CopyBoundedAsync(bundle, bundlePath, maxBytes, maxSetting, ct);
            var repo = Path.Join(work.FullName, "repo.git");
            await RunAsync(git, null, ct, "init", "-q", "--bare", repo);
            // unbundle, not fetch: reading a bundle through fetch needs the file protocol, which stays off unless the remote is local.
            var refs = ParseRefs(await RunAsync(git, repo, ct, "bundle", "unbundle", bundlePath));
            File.Delete(bundlePath);
            return new ImportedBundle(git, work, repo, refs);
        }
        catch
        {
            work.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>The commit the bundle lists for <paramref name="fullRef"/> (<c>refs/heads/…</c>).</summary>
    public string CommitOf(string fullRef) =>
        _refs.TryGetValue(fullRef, out var sha) ? sha : throw new GitPushException(409, $"The sandbox's bundle has no {fullRef}.");

    /// <summary>A git command in the bare repository that talks to no remote.</summary>
    public Task<string> GitAsync(CancellationToken ct, params string[] args) => RunAsync(_git, Repository, ct, args);

    /// <summary>Pushes <paramref name="commit"/> to <paramref name="branch"/> of the remote: that one refspec, nothing else.</summary>
    public async Task PushAsync(GitRemote remote, string commit, string branch, CancellationToken ct)
    {
        var result = await Bounded(() => _git.PushAsync(Repository, remote, [$"{commit}:refs/heads/{branch}"], ct));
        if (result.ExitCode == 0)
        {
            return;
        }
        var output = result.Combined;
        throw output.Contains("[rejected]", StringComparison.Ordinal) || output.Contains("non-fast-forward", StringComparison.Ordinal)
            ? new GitPushException(409, $"The remote rejected the push to '{branch}' (it has commits the sandbox's branch does not). Choose a new branch. {Last(output)}")
            : new GitPushException(502, $"Could not push to '{remote.Url}': {Last(output)}");
    }

    /// <summary>Refuses what git would not take as a branch name, and anything that could read as an option or a forced refspec.</summary>
    public static async Task ValidateBranchAsync(HostGit git, string? branch, CancellationToken ct)
    {
        if (!await git.IsValidBranchAsync(branch, ct))
        {
            throw new GitPushException(400, $"'{branch}' is not a valid branch name (see git check-ref-format).");
        }
    }

    public ValueTask DisposeAsync()
    {
        _work.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The bundle is sandbox-written: a huge repository must not fill the host's temp folder.</summary>
    private static async Task CopyBoundedAsync(Stream bundle, string path, long max, string maxSetting, CancellationToken ct)
    {
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        int read;
        while ((read = await bundle.ReadAsync(buffer, ct)) > 0)
        {
            if (file.Length + read > max)
            {
                throw new GitPushException(413, $"The sandbox's history is larger than {max} bytes ({maxSetting}).");
            }
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    /// <summary><c>bundle unbundle</c>'s "sha ref" lines; anything that is not a plain sha and a refs/heads/ name is ignored.</summary>
    private static Dictionary<string, string> ParseRefs(string unbundled)
    {
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parts in unbundled.Split('\n', StringSplitOptions.TrimEntries).Select(line => line.Split(' ', 2)))
        {
            if (parts.Length == 2 && parts[1].StartsWith("refs/heads/", StringComparison.Ordinal) && parts[0].Length is 40 or 64
                && parts[0].All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                refs.TryAdd(parts[1], parts[0]);
            }
        }
        return refs;
    }

    private static async Task<string> RunAsync(HostGit git, string? repo, CancellationToken ct, params string[] args)
    {
        var result = await Bounded(() => git.RunAsync(repo, args, ct));
        return result.ExitCode == 0 ? result.Output : throw new GitPushException(500, $"git {args[0]} failed: {Last(result.Combined)}");
    }

    private static async Task<GitResult> Bounded(Func<Task<GitResult>> run)
    {
        try
        {
            return await run();
        }
        catch (GitTimeoutException e)
        {
            throw new GitPushException(504, e.Message);
        }
    }

    private static string Last(string output) => output.Length <= 400 ? output.Trim() : output[^400..].Trim();
}

/// <summary>A push from a sandbox failed, with the HTTP status that describes it (400 bad input, 409 rejected or missing, 413 too big, 502 unreachable, 504 too slow).</summary>
public sealed class GitPushException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
