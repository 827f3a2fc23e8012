using LivePreview.Sandboxes;

namespace LivePreview.Prototypes;

/// <summary>
/// Git in the workspace, run <em>inside</em> the sandbox: the repository is sandbox-controlled
/// (hooks, config, fsmonitor), so the host never opens it. Argument lists only; a prompt used as a
/// commit message is one argument, whatever quotes or <c>$(…)</c> it holds.
/// </summary>
public sealed class SandboxGit(ISandboxProvider provider)
{
    public const string ExportBundle = ".livepreview/export.bundle";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Folders that are never committed: dependencies, caches, build output, our own files.</summary>
    private const string Excludes = "node_modules/\n.vite/\n.next/\ndist/\n.livepreview/\n*.tsbuildinfo\n";

    public async Task EnsureRepositoryAsync(string sandboxId, CancellationToken ct)
    {
        if (await TryGitAsync(sandboxId, ct, "rev-parse", "--git-dir") is { ExitCode: 0 })
        {
            return;
        }
        await GitAsync(sandboxId, ct, "init", "-q", "-b", "main");
        await provider.Files(sandboxId).WriteAsync(".git/info/exclude", new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Excludes)), ct);
    }

    /// <summary>Commits everything that changed; null when nothing did (and <paramref name="allowEmpty"/> is false).</summary>
    public async Task<GitCommit?> CommitAllAsync(string sandboxId, string message, bool allowEmpty, CancellationToken ct)
    {
        await GitAsync(sandboxId, ct, "add", "-A");
        if (!allowEmpty && (await TryGitAsync(sandboxId, ct, "diff", "--cached", "--quiet", "HEAD")).ExitCode == 0)
        {
            return null;
        }
        var args = new List<string> { "-c", "user.name=LivePreview", "-c", "user.email=agent@livepreview.invalid", "commit", "-q", "--no-verify", "-m", message };
        if (allowEmpty)
        {
            args.Add("--allow-empty");
        }
        await GitAsync(sandboxId, ct, [.. args]);
        var sha = (await GitAsync(sandboxId, ct, "rev-parse", "HEAD")).Trim();
        return new GitCommit(sha, await ChangedFilesAsync(sandboxId, sha, ct));
    }

    /// <summary>Makes the working tree match <paramref name="sha"/> (files added since are removed) without moving history back.</summary>
    /// <returns>Each changed path with whether the restore removed it.</returns>
    public async Task<IReadOnlyList<(string Path, bool Removed)>> RestoreTreeAsync(string sandboxId, string sha, CancellationToken ct)
    {
        await GitAsync(sandboxId, ct, "add", "-A");
        // Index (the current tree) against the target: "D" means the file does not exist at the checkpoint.
        var diff = await GitAsync(sandboxId, ct, "diff", "--cached", "--name-status", "--no-renames", "-R", sha);
        await GitAsync(sandboxId, ct, "read-tree", "-u", "--reset", sha);
        return diff.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[1], parts[0] == "D"))
            .ToList();
    }

    /// <summary>Packs HEAD's history into a bundle inside the workspace, for the host to export.</summary>
    public Task CreateBundleAsync(string sandboxId, CancellationToken ct) => BundleAsync(sandboxId, ct, "HEAD", "main");

    /// <summary>
    /// Packs the history of one branch (<c>refs/heads/{branch}</c>, nothing else) into <see cref="ExportBundle"/>, for the host to push.
    /// The caller validated <paramref name="branch"/> (git check-ref-format); as a full ref name it cannot read as an option.
    /// </summary>
    public Task CreateBranchBundleAsync(string sandboxId, string branch, CancellationToken ct) => BundleAsync(sandboxId, ct, "refs/heads/" + branch);

    /// <summary>Creates <paramref name="branch"/> at HEAD (or resets it there) and checks it out; the working tree stays as it is.</summary>
    public Task SwitchToNewBranchAsync(string sandboxId, string branch, CancellationToken ct) =>
        GitAsync(sandboxId, ct, "-c", "core.fsmonitor=false", "switch", "-q", "--no-guess", "-C", branch);

    private async Task BundleAsync(string sandboxId, CancellationToken ct, params string[] refs)
    {
        await provider.Files(sandboxId).WriteAsync(".livepreview/.keep", new MemoryStream(), ct);
        await GitAsync(sandboxId, ct, ["bundle", "create", "-q", ExportBundle, .. refs]);
    }

    /// <summary>The commit's first parent; null for the first commit.</summary>
    public async Task<string?> ParentAsync(string sandboxId, string sha, CancellationToken ct)
    {
        var result = await TryGitAsync(sandboxId, ct, "rev-parse", "--verify", "-q", sha + "^");
        return result.ExitCode == 0 ? result.Output.Trim() : null;
    }

    /// <summary>The files <paramref name="sha"/> changed against <paramref name="parent"/> (null: against nothing), NUL-separated so any name survives.</summary>
    public async Task<IReadOnlyList<(string Path, string Status)>> ChangesAsync(string sandboxId, string? parent, string sha, CancellationToken ct)
    {
        string[] range = parent is null ? ["--root", sha] : [parent, sha];
        var output = await GitAsync(sandboxId, ct, ["-c", "core.fsmonitor=false", "diff-tree", "-r", "-z", "--no-commit-id", "--no-renames", "--name-status", "--no-ext-diff", "--no-textconv", .. range]);
        var fields = output.TrimEnd('\n').Split('\0');
        var changes = new List<(string, string)>();
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            changes.Add((fields[i + 1], fields[i].Trim()));
        }
        return changes;
    }

    /// <summary>
    /// Writes <paramref name="paths"/> as they are at <paramref name="sha"/> into <paramref name="folder"/> (workspace-relative)
    /// instead of the working tree; the index and the working tree stay as they are. Pathspecs are literal (no globs, no magic).
    /// </summary>
    public async Task CheckOutAsync(string sandboxId, string sha, string folder, IReadOnlyList<string> paths, CancellationToken ct)
    {
        if (paths.Count == 0)
        {
            return;
        }
        await RunAsync(sandboxId, ct, "mkdir", "-p", "--", folder);
        await GitAsync(sandboxId, ct, ["--literal-pathspecs", "--work-tree=" + folder, "-c", "core.fsmonitor=false", "restore", "--source=" + sha, "--worktree", "--", .. paths]);
    }

    /// <summary>Removes a scratch folder of <c>.livepreview/</c>; a failure is left for the sandbox's end.</summary>
    public Task RemoveScratchAsync(string sandboxId, string folder, CancellationToken ct) =>
        provider.RunCommandAsync(sandboxId, new SandboxProcessSpec(["rm", "-rf", "--", folder]), Timeout, ct);

    private async Task RunAsync(string sandboxId, CancellationToken ct, params string[] command)
    {
        var result = await provider.RunCommandAsync(sandboxId, new SandboxProcessSpec(command), Timeout, ct);
        if (result.ExitCode != 0)
        {
            throw new GitException($"'{command[0]}' failed in the sandbox with {result.ExitCode}: {Tail(result.Output)}");
        }
    }

    private async Task<IReadOnlyList<string>> ChangedFilesAsync(string sandboxId, string sha, CancellationToken ct)
    {
        var output = await GitAsync(sandboxId, ct, "show", "--name-status", "--format=", "--no-renames", sha);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Replace('\t', ' ')).ToList();
    }

    private async Task<string> GitAsync(string sandboxId, CancellationToken ct, params string[] args)
    {
        var result = await TryGitAsync(sandboxId, ct, args);
        return result.ExitCode == 0 ? result.Output
            : throw new GitException($"The sandbox's own git failed: git {args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='))} exited with {result.ExitCode}. "
                + $"Its repository, hooks and config belong to the sandbox (a hook or setting there can make it fail). Output: {Tail(result.Output)}");
    }

    private Task<SandboxCommandResult> TryGitAsync(string sandboxId, CancellationToken ct, params string[] args) =>
        provider.RunCommandAsync(sandboxId, new SandboxProcessSpec(["git", .. args], GitEnvironment), Timeout, ct);

    private static readonly IReadOnlyDictionary<string, string> GitEnvironment = new Dictionary<string, string>
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    /// <summary>The last 500 characters of sandbox-written output, with control characters (terminal escapes) dropped.</summary>
    private static string Tail(string output)
    {
        var tail = output.Length <= 500 ? output : output[^500..];
        return new string(tail.Where(c => !char.IsControl(c) || c is '\n' or '\t').ToArray()).Trim();
    }
}

public sealed record GitCommit(string Sha, IReadOnlyList<string> Files);

/// <summary>Git inside the sandbox failed (HTTP 409): the sandbox's repository is its own business, not a fault of the service.</summary>
public sealed class GitException(string message) : Exception(message);
