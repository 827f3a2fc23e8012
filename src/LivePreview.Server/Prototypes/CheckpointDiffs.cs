using LivePreview.Sandboxes;
using LivePreview.Workspaces;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <param name="Status">git's letter: "A" added, "M" modified, "D" deleted, "T" type changed.</param>
/// <param name="Diff">The unified diff (bounded like FILE_CHANGED's); null when there is none (see <paramref name="Omitted"/>).</param>
/// <param name="Omitted">Why there is no diff: "binary", "too_large", "unreadable" or "too_many_files".</param>
public sealed record CheckpointFileDiff(string Path, string Status, string? Diff, bool Truncated, string? Omitted);

/// <summary>
/// What one checkpoint changed against its parent, file by file, as unified diffs (<see cref="FileDiff"/>). The
/// repository is the sandbox's, so git runs inside the sandbox (<see cref="SandboxGit"/>): it lists the changes and
/// checks the two versions out into a scratch folder of the workspace (<c>.livepreview/</c>, never committed), which
/// the host then reads like any workspace file — no-follow, regular files only, bounded.
/// </summary>
public sealed class CheckpointDiffs(SandboxGit git, ISandboxProvider provider, WorkspaceFiles files, IOptions<WorkspaceFilesOptions> fileOptions)
{
    /// <summary>Files beyond this many are listed without a diff.</summary>
    public const int MaxFiles = 100;

    public async Task<IReadOnlyList<CheckpointFileDiff>> ComputeAsync(string sandboxId, CheckpointRecord checkpoint, CancellationToken ct)
    {
        var parent = await git.ParentAsync(sandboxId, checkpoint.Sha, ct);
        var changes = (await git.ChangesAsync(sandboxId, parent, checkpoint.Sha, ct))
            .Select(c => (Path: TryNormalize(c.Path), c.Status)).ToList();
        var diffed = changes.Where(c => c.Path is not null).Take(MaxFiles).ToList();
        var scratch = $".livepreview/diff-{SandboxId.New()[..10]}";
        try
        {
            var oldSide = diffed.Where(c => c.Status != "A").Select(c => c.Path!).ToList();
            var newSide = diffed.Where(c => c.Status != "D").Select(c => c.Path!).ToList();
            if (parent is not null)
            {
                await git.CheckOutAsync(sandboxId, parent, $"{scratch}/old", oldSide, ct);
            }
            await git.CheckOutAsync(sandboxId, checkpoint.Sha, $"{scratch}/new", newSide, ct);
            var result = new List<CheckpointFileDiff>(changes.Count);
            foreach (var (path, status) in changes)
            {
                result.Add(path is not null && diffed.Contains((path, status))
                    ? await DiffAsync(sandboxId, scratch, path, status, ct)
                    : new CheckpointFileDiff(path ?? "", status, null, false, path is null ? "unreadable" : "too_many_files"));
            }
            return result;
        }
        finally
        {
            await git.RemoveScratchAsync(sandboxId, scratch, CancellationToken.None);
        }
    }

    private async Task<CheckpointFileDiff> DiffAsync(string sandboxId, string scratch, string path, string status, CancellationToken ct)
    {
        var fs = provider.Files(sandboxId);
        var before = status == "A" ? null : await files.ReadForDiffAsync(fs, $"{scratch}/old/{path}", ct);
        var after = status == "D" ? null : await files.ReadForDiffAsync(fs, $"{scratch}/new/{path}", ct);
        if ((status != "A" && before is null) || (status != "D" && after is null))
        {
            // Not a regular file on one side (a symlink, a submodule): nothing the host reads.
            return new CheckpointFileDiff(path, status, null, false, "unreadable");
        }
        if (after is { IsTooLarge: true })
        {
            return new CheckpointFileDiff(path, status, null, false, "too_large");
        }
        var diff = FileDiff.Compute(path, before, after?.Bytes, fileOptions.Value);
        return new CheckpointFileDiff(path, status, diff.Diff, diff.Truncated, diff.Omitted);
    }

    /// <summary>A path git printed (sandbox-controlled text) as a validated workspace path, or null.</summary>
    private static string? TryNormalize(string path)
    {
        try
        {
            return WorkspacePath.NormalizeFile(path);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }
}
