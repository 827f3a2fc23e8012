using System.Text.RegularExpressions;
using System.Threading.Channels;
using LivePreview.Events;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Commands;

/// <summary>The life of one running command: its process, its output, and the one place that records how it ended.</summary>
public sealed partial class CommandService
{
    public const string IdPrefix = "cmd_";

    public static bool IsValidId(string? id) => id is not null && id.StartsWith(IdPrefix, StringComparison.Ordinal) && SandboxId.IsValid(id[IdPrefix.Length..]);

    private static string NewId() => IdPrefix + SandboxId.New();

    private async Task WatchAsync(CommandRun run, TimeSpan timeout)
    {
        var process = run.Process!;
        var pump = Task.Run(async () =>
        {
            await foreach (var line in process.ReadOutputAsync(CancellationToken.None))
            {
                run.Output.Add(line);
            }
        });
        using var deadline = new CancellationTokenSource(timeout, time);
        using var registration = deadline.Token.Register(() => _ = EndAsync(run, CommandStatus.TimedOut));
        int? exitCode;
        try
        {
            exitCode = await process.Exited;
            await pump;
        }
        catch (Exception e) when (e is TimeoutException or IOException or ChannelClosedException)
        {
            exitCode = null;
        }
        var status = run.Requested ?? CommandStatus.Exited;
        // The stored row and COMMAND_EXITED first, the in-memory record last: whoever sees the command ended
        // (GET answers from memory while it runs) finds its event already published.
        var ended = Copy(run.Record);
        ended.Status = status;
        ended.ExitCode = exitCode;
        ended.EndedAt = time.GetUtcNow();
        ended.OutputBytes = run.Output.TotalBytes;
        ended.OutputTruncated = run.Output.Truncated;
        try
        {
            await process.DisposeAsync();
            await FinishRecordAsync(ended);
            CommandsLog.Ended(logger, ended.Id, ended.SandboxId, status, exitCode);
            await events.PublishAsync(new EventDraft(EventTypes.CommandExited, "command", ended.Id, ended.SandboxId,
                new { command_id = ended.Id, exit_code = exitCode, status, duration_ms = DurationMs(ended) }), CancellationToken.None);
        }
        catch (Exception e)
        {
            CommandsLog.FinishFailed(logger, e, ended.Id, ended.SandboxId);
        }
        finally
        {
            lock (run)
            {
                run.Record.Status = ended.Status;
                run.Record.ExitCode = ended.ExitCode;
                run.Record.EndedAt = ended.EndedAt;
                run.Record.OutputBytes = ended.OutputBytes;
                run.Record.OutputTruncated = ended.OutputTruncated;
            }
            // Followers' streams end only now, so a client that read ?follow=true to its end finds the record final.
            run.Output.Finish();
            _running.TryRemove(run.Record.Id, out _);
            run.Done.TrySetResult();
        }
    }

    /// <summary>Ends a running command as <paramref name="status"/> (the first reason wins) and waits until its record says so.</summary>
    private async Task EndAsync(CommandRun run, CommandStatus status)
    {
        lock (run)
        {
            run.Requested ??= status;
        }
        if (run.Process is { } process)
        {
            try
            {
                await process.KillAsync();
            }
            catch (TimeoutException)
            {
                // WatchAsync records it with no exit code.
            }
            await run.Done.Task;
        }
    }

    private async Task FinishRecordAsync(CommandRecord record)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.Commands.Where(c => c.Id == record.Id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, record.Status)
            .SetProperty(c => c.ExitCode, record.ExitCode)
            .SetProperty(c => c.EndedAt, record.EndedAt)
            .SetProperty(c => c.OutputBytes, record.OutputBytes)
            .SetProperty(c => c.OutputTruncated, record.OutputTruncated), CancellationToken.None);
    }

    private async Task<CommandRun> RequireRunningAsync(string sandboxId, string commandId, string what, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(commandId, out var run) && run.Record.SandboxId == sandboxId && run.Requested is null)
        {
            return run;
        }
        var record = await GetAsync(sandboxId, commandId, cancellationToken);
        throw new CommandEndedException($"Command '{commandId}' has already ended ({Status(record.Status)}); it {what}.");
    }

    public static string Status(CommandStatus status) => status switch
    {
        CommandStatus.TimedOut => "timed_out",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>A running command's record with its output counted so far; an ended one as stored.</summary>
    private CommandRecord Current(CommandRecord stored)
    {
        if (!_running.TryGetValue(stored.Id, out var run))
        {
            return stored;
        }
        CommandRecord copy;
        lock (run)
        {
            copy = Copy(run.Record);
        }
        copy.OutputBytes = run.Output.TotalBytes;
        copy.OutputTruncated = run.Output.Truncated;
        return copy;
    }

    private static CommandRecord Copy(CommandRecord r) => new()
    {
        Id = r.Id, SandboxId = r.SandboxId, Command = r.Command, Cwd = r.Cwd, Status = r.Status, ExitCode = r.ExitCode,
        StartedAt = r.StartedAt, EndedAt = r.EndedAt, OutputBytes = r.OutputBytes, OutputTruncated = r.OutputTruncated,
    };

    /// <summary>The workspace-relative directory and the /app path it is shown as; every problem is a 400 that says what to send.</summary>
    private (string Relative, string Cwd) Validate(CommandRequest request)
    {
        if (request.Command is not { Count: > 0 } command || command.Any(string.IsNullOrEmpty))
        {
            throw new InvalidCommandException("Give \"command\": an argument list such as [\"npm\", \"test\"] (no empty arguments). For a shell, say so: [\"sh\", \"-c\", \"…\"].");
        }
        if (command.Count > 1024 || command.Sum(a => a.Length) > 128 * 1024 || command.Any(a => a.Contains('\0')))
        {
            throw new InvalidCommandException("\"command\" is too long (at most 1024 arguments, 128 KiB in all) or contains a NUL character.");
        }
        var relative = RelativeCwd(request.Cwd);
        foreach (var (name, value) in request.Env ?? new Dictionary<string, string>())
        {
            if (!EnvironmentName().IsMatch(name))
            {
                throw new InvalidCommandException($"\"env\" name '{name}' is not a variable name: use letters, digits and '_', not starting with a digit.");
            }
            if (ServiceVariables.Contains(name))
            {
                throw new InvalidCommandException($"\"env\" may not set {name}: the service sets {string.Join(", ", ServiceVariables)} in every sandbox process.");
            }
            if (value is null || value.Contains('\0'))
            {
                throw new InvalidCommandException($"\"env\" value of '{name}' must be a string without NUL characters.");
            }
        }
        var max = options.Value.MaxTimeoutSeconds;
        if (request.TimeoutSeconds is { } seconds && (seconds < 1 || seconds > max))
        {
            throw new InvalidCommandException($"\"timeout_seconds\" must be between 1 and {max} ({CommandOptions.Section}:MaxTimeoutSeconds).");
        }
        return (relative, relative.Length == 0 ? BubblewrapMount : $"{BubblewrapMount}/{relative}");
    }

    private const string BubblewrapMount = "/app";

    private static string RelativeCwd(string? cwd)
    {
        var path = cwd ?? BubblewrapMount;
        if (path.StartsWith('/'))
        {
            if (path != BubblewrapMount && !path.StartsWith(BubblewrapMount + "/", StringComparison.Ordinal))
            {
                throw new InvalidCommandException($"\"cwd\" '{path}' is outside the workspace: give /app (the workspace root as the sandbox sees it) or a directory under it.");
            }
            path = path[BubblewrapMount.Length..];
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        if (segments.Any(s => s == ".." || s.Contains('\0')))
        {
            throw new InvalidCommandException($"\"cwd\" '{cwd}' may not contain '..': give a directory under /app.");
        }
        return string.Join('/', segments);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();
}

/// <summary>One command while it runs (the service's in-memory half of its record).</summary>
internal sealed class CommandRun(CommandRecord record, CommandOutput output)
{
    public CommandRecord Record { get; } = record;
    public CommandOutput Output { get; } = output;
    public ISandboxProcess? Process { get; set; }
    public Task? Watch { get; set; }

    /// <summary>Why it is being ended (kill, timeout, sandbox stop); null while nobody asked.</summary>
    public CommandStatus? Requested { get; set; }
    public SemaphoreSlim InputGate { get; } = new(1, 1);
    public bool InputClosed { get; set; }
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A follower of a running command's output; disposing it stops following and never touches the command.</summary>
public sealed class CommandFollower(ChannelReader<byte[]> reader, Action unfollow) : IDisposable
{
    public ChannelReader<byte[]> Reader { get; } = reader;

    public void Dispose() => unfollow();
}
