using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

/// <summary>
/// Pushes a prototype to a branch of a git remote. The host only touches a bare repository it makes
/// itself, filled from a bundle the sandbox wrote — never the sandbox's own .git. It runs the git
/// CLI (argument lists, no shell) because it needs ssh remotes, which LibGit2Sharp cannot push to.
/// </summary>
public sealed partial class GitExporter(IOptions<PrototypeOptions> options, ILogger<GitExporter> logger)
{
    public async Task<string> PushAsync(Stream bundle, ExportRequestData request, CancellationToken ct)
    {
        var remote = ValidateRemote(request.RepoUrl);
        await ValidateBranchAsync(request.Branch, ct);
        var work = Directory.CreateTempSubdirectory("livepreview-export-");
        try
        {
            var bundlePath = Path.Join(work.FullName, "prototype.bundle");
            await using (var file = File.Create(bundlePath))
            {
                await bundle.CopyToAsync(file, ct);
            }
            var repo = Path.Join(work.FullName, "repo.git");
            await GitAsync(null, ct, "init", "-q", "--bare", repo);
            await GitAsync(repo, ct, "fetch", "-q", bundlePath, "+refs/heads/main:refs/heads/prototype");
            var tree = (await GitAsync(repo, ct, "rev-parse", "prototype^{tree}")).Trim();
            var commit = (await GitAsync(repo, ct, "-c", "user.name=LivePreview", "-c", "user.email=agent@livepreview.invalid",
                "commit-tree", tree, "-p", "prototype", "-m", request.Message)).Trim();
            await PushAsync(repo, remote, $"{commit}:refs/heads/{request.Branch}", ct);
            LogExported(logger, request.Branch, commit);
            return commit;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Only plain transports: a leading "-" would be read as an option, and ext:: or fd:: run commands.</summary>
    public static string ValidateRemote(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.StartsWith('-') || url.Any(char.IsControl))
        {
            throw new ExportException(400, "Give \"repo_url\": an absolute local path, file://, ssh://, git@host:path or https:// URL.");
        }
        var ok = url.StartsWith('/') || url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith("ssh://", StringComparison.Ordinal)
            || url.StartsWith("https://", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(url, @"^[\w.-]+@[\w.-]+:[^:]");
        return ok ? url : throw new ExportException(400, $"'{url}' is not a supported remote; use an absolute path, file://, ssh://, git@host:path or https://.");
    }

    private static async Task ValidateBranchAsync(string? branch, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(branch) || branch.StartsWith('-') || (await RunAsync(null, ct, [], "check-ref-format", "--branch", branch)).ExitCode != 0)
        {
            throw new ExportException(400, $"'{branch}' is not a valid branch name (see git check-ref-format).");
        }
    }

    private async Task PushAsync(string repo, string remote, string refspec, CancellationToken ct)
    {
        var config = new List<string>();
        if (remote.StartsWith("https://", StringComparison.Ordinal) && options.Value.GitToken is { Length: > 0 } token)
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Value.GitUser}:{token}"));
            config.AddRange(["-c", $"http.extraHeader=Authorization: Basic {basic}"]);
        }
        var result = await RunAsync(repo, ct, config, "push", "--porcelain", remote, refspec);
        if (result.ExitCode == 0)
        {
            return;
        }
        var output = result.Output;
        throw output.Contains("[rejected]", StringComparison.Ordinal) || output.Contains("non-fast-forward", StringComparison.Ordinal)
            ? new ExportException(409, $"The remote rejected the push to that branch (it has commits the prototype does not). Choose a new branch. {Last(output)}")
            : new ExportException(502, $"Could not push to '{remote}': {Last(output)}");
    }

    private static async Task<string> GitAsync(string? repo, CancellationToken ct, params string[] args)
    {
        var result = await RunAsync(repo, ct, [], args);
        return result.ExitCode == 0 ? result.Output : throw new ExportException(500, $"git {args[0]} failed: {Last(result.Output)}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string? repo, CancellationToken ct, IEnumerable<string> config, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var arg in config.Concat(repo is null ? [] : ["-C", repo]).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new ExportException(504, "git did not finish within 2 minutes.");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Last(string output) => output.Length <= 400 ? output.Trim() : output[^400..].Trim();

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Exported prototype to branch {Branch} as {Commit}")]
    private static partial void LogExported(ILogger logger, string branch, string commit);
}

public sealed record ExportRequestData(string RepoUrl, string Branch, string Message);

/// <summary>An export failure with the HTTP status that describes it (400 bad input, 409 rejected, 502 unreachable).</summary>
public sealed class ExportException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
