using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;

namespace LivePreview.Git;

/// <summary>
/// The one way the host runs git. Each command gets a clean environment (none of the service's own: API keys stay here),
/// no system or global config, an empty private HOME, hooks off (<c>core.hooksPath</c> → an empty folder), fsmonitor off,
/// every protocol refused except the one transport of the remote it talks to, no redirects, no prompts, a timeout and a
/// bounded output. Settings travel in <c>GIT_CONFIG_COUNT/KEY/VALUE</c>; a credential travels in the environment of that
/// one command only, read by a credential helper that answers for its own host — never on a command line.
/// </summary>
public sealed partial class HostGit : IDisposable
{
    private readonly IOptionsMonitor<GitOptions> _options;
    private readonly ILogger<HostGit> _logger;
    private readonly DirectoryInfo _private;

    public HostGit(IOptionsMonitor<GitOptions> options, ILogger<HostGit> logger)
    {
        _options = options;
        _logger = logger;
        _private = Directory.CreateTempSubdirectory("livepreview-git-"); // 0700: only the service's user enters
        Home = Directory.CreateDirectory(Path.Join(_private.FullName, "home")).FullName;
        HooksDirectory = Directory.CreateDirectory(Path.Join(_private.FullName, "hooks")).FullName;
        TemplateDirectory = Directory.CreateDirectory(Path.Join(_private.FullName, "template")).FullName;
        ReceivePack = WriteWrapper("receive-pack");
        UploadPack = WriteWrapper("upload-pack");
    }

    /// <summary>The empty HOME of every git command.</summary>
    public string Home { get; }

    /// <summary>The empty folder <c>core.hooksPath</c> points at.</summary>
    public string HooksDirectory { get; }

    private string TemplateDirectory { get; }

    /// <summary>
    /// For local remotes: git starts receive-pack on the target repository with the repository-level settings removed from
    /// its environment (GIT_CONFIG_COUNT is in git's local_repo_env), so the target's own hooks would run. This wrapper
    /// turns them off again, on receive-pack's own command line.
    /// </summary>
    private string ReceivePack { get; }

    private string UploadPack { get; }

    /// <summary>A git command that talks to no remote (init, rev-parse, commit-tree, bundle unbundle …).</summary>
    public Task<GitResult> RunAsync(string? repository, IReadOnlyList<string> arguments, CancellationToken ct) =>
        RunCoreAsync(repository, arguments, null, ct);

    /// <summary>Pushes <paramref name="refspecs"/> to a remote the policy accepted.</summary>
    public Task<GitResult> PushAsync(string repository, GitRemote remote, IReadOnlyList<string> refspecs, CancellationToken ct)
    {
        List<string> args = ["push", "--porcelain", "--no-verify"];
        if (remote.Transport == GitTransport.File)
        {
            args.Add($"--receive-pack={ReceivePack}");
        }
        args.Add(remote.Url);
        args.AddRange(refspecs);
        return RunCoreAsync(repository, args, remote, ct);
    }

    /// <summary>
    /// Clones one branch of a remote the policy accepted into <paramref name="target"/> (which must not exist), with
    /// <c>--depth 1</c>: the sandbox needs the files, and a commit made on top of a shallow tip still pushes (the remote
    /// has its parents). <c>--no-local</c>: a local path is cloned through upload-pack like any remote, never hard-linked
    /// (the clone is handed to the sandbox user, and a hard link would hand over the original's objects too). No tags, no
    /// submodules; hooks, fsmonitor and foreign config stay off as for every command (a <c>.gitattributes</c> filter names
    /// a driver only config can define, and there is none).
    /// </summary>
    public Task<GitResult> CloneAsync(GitRemote remote, string? branch, string target, CancellationToken ct)
    {
        List<string> args = ["-c", "core.symlinks=true", "clone", "--quiet", "--depth", "1", "--single-branch", "--no-tags", "--no-local"];
        if (remote.Transport == GitTransport.File)
        {
            args.Add($"--upload-pack={UploadPack}");
        }
        if (branch is not null)
        {
            args.Add("--branch");
            args.Add(branch);
        }
        args.Add("--");
        args.Add(remote.Transport == GitTransport.File ? "file://" + remote.Url : remote.Url);
        args.Add(target);
        return RunCoreAsync(null, args, remote, ct);
    }

    /// <summary>
    /// True when <paramref name="branch"/> is a branch name git accepts (<c>git check-ref-format --branch</c>) and cannot be
    /// read as an option or a forced refspec, nor hides its text behind a bidi control or an invisible character. The one branch check of every clone, export and push.
    /// </summary>
    public async Task<bool> IsValidBranchAsync(string? branch, CancellationToken ct) =>
        !string.IsNullOrWhiteSpace(branch) && !branch.StartsWith('-') && !branch.StartsWith('+') && !branch.Any(c => char.IsControl(c) || Workspaces.WorkspacePath.IsBidiOrInvisible(c))
        && branch.Length <= 255 && (await RunAsync(null, ["check-ref-format", "--branch", branch], ct)).ExitCode == 0;

    /// <summary>The start info of a command, with nothing started: what git is given, and nothing else (tests read it).</summary>
    internal ProcessStartInfo StartInfo(string? repository, IReadOnlyList<string> arguments, GitRemote? remote)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Home,
        };
        start.Environment.Clear();
        foreach (var (key, value) in Environment(remote))
        {
            start.Environment[key] = value;
        }
        if (repository is not null)
        {
            start.ArgumentList.Add("-C");
            start.ArgumentList.Add(repository);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private async Task<GitResult> RunCoreAsync(string? repository, IReadOnlyList<string> arguments, GitRemote? remote, CancellationToken ct)
    {
        var options = _options.CurrentValue;
        using var process = Process.Start(StartInfo(repository, arguments, remote))!;
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        var stdout = BoundedReadAsync(process.StandardOutput, options.MaxOutputChars, timeout.Token);
        var stderr = BoundedReadAsync(process.StandardError, options.MaxOutputChars, timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            var (output, error) = (await stdout, await stderr);
            if (process.ExitCode != 0)
            {
                LogFailed(_logger, arguments.FirstOrDefault() ?? "", process.ExitCode);
            }
            return new GitResult(process.ExitCode, output, error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            throw new GitTimeoutException($"git {arguments.FirstOrDefault()} did not finish within {options.Timeout.TotalSeconds:0} s (LivePreview:Git:Timeout).");
        }
    }

    /// <summary>Reads a stream to its end keeping only the last <paramref name="max"/> characters.</summary>
    private static async Task<string> BoundedReadAsync(StreamReader reader, int max, CancellationToken ct)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            kept.Append(buffer, 0, read);
            if (kept.Length > max * 2)
            {
                kept.Remove(0, kept.Length - max);
            }
        }
        return kept.Length > max ? kept.ToString(kept.Length - max, max) : kept.ToString();
    }

    private string WriteWrapper(string command)
    {
        var path = Path.Join(_private.FullName, command);
        // Our own folder's path, never request text; quoted for sh all the same.
        var script = $"#!/bin/sh\nexec git -c core.hooksPath={Quote(HooksDirectory)} -c core.fsmonitor=false -c receive.autogc=false -c gc.auto=0 {command} \"$@\"\n";
        File.WriteAllText(path, script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        return path;
    }

    private static string Quote(string value) =>
        value.Contains('\'') ? throw new InvalidOperationException("Unexpected quote in a private path.") : $"'{value}'";

    public void Dispose()
    {
        try
        {
            _private.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Host git {Command} exited with {ExitCode}")]
    private static partial void LogFailed(ILogger logger, string command, int exitCode);
}

/// <summary>What a git command printed (each stream's tail, bounded) and how it ended.</summary>
public sealed record GitResult(int ExitCode, string Output, string Error)
{
    public string Combined => (Output + "\n" + Error).Trim();
}

public sealed class GitTimeoutException(string message) : TimeoutException(message);
