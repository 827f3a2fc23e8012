using System.Collections.Concurrent;
using System.Text.Json;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Commands;

/// <summary>What a caller asks to run: an argument list (never a shell string), a directory under /app, extra variables, a timeout.</summary>
public sealed record CommandRequest(IReadOnlyList<string> Command, string? Cwd, IReadOnlyDictionary<string, string>? Env, int? TimeoutSeconds);

/// <summary>
/// Runs commands in sandboxes and keeps their record (the <c>commands</c> table) and their bounded
/// output (a file per command under the data directory, written by the host, never inside the
/// sandbox). Ownership and the sandbox's state are checked by the callers (the API, the agent tools)
/// before they get here; this class trusts the sandbox id it is given and nothing the sandbox says.
/// </summary>
public sealed partial class CommandService(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    ISandboxProvider provider,
    IEventBus events,
    IOptions<CommandOptions> options,
    IOptions<LivePreviewOptions> common,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<CommandService> logger) : ISandboxStopHook, IAsyncDisposable
{
    /// <summary>Variables the service sets in every sandbox process (see BubblewrapArguments); a command may not replace them.</summary>
    private static readonly HashSet<string> ServiceVariables = new(StringComparer.Ordinal) { "PATH", "HOME", "USER", "LANG" };

    private readonly ConcurrentDictionary<string, CommandRun> _running = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();

    private string OutputDirectory => Path.Join(common.Value.ResolveDataDirectory(), "commands");

    /// <summary>Starts the command and returns its record at once; it runs on until it exits, is killed or times out.</summary>
    public async Task<CommandRecord> StartAsync(string sandboxId, CommandRequest request, CancellationToken cancellationToken)
    {
        var (relative, cwd) = Validate(request);
        var timeout = TimeSpan.FromSeconds(request.TimeoutSeconds ?? options.Value.DefaultTimeoutSeconds);
        var record = new CommandRecord
        {
            Id = NewId(), SandboxId = sandboxId, Command = JsonSerializer.Serialize(request.Command), Cwd = cwd,
            Status = CommandStatus.Running, StartedAt = time.GetUtcNow(),
        };
        var run = new CommandRun(record, new CommandOutput(OutputPath(record.Id), options.Value.OutputKeepBytes));
        lock (_admission)
        {
            var limit = options.Value.MaxConcurrentPerSandbox;
            if (_running.Values.Count(r => r.Record.SandboxId == sandboxId) >= limit)
            {
                run.Output.Dispose();
                File.Delete(OutputPath(record.Id));
                throw new CommandLimitException($"Sandbox '{sandboxId}' already runs {limit} commands ({CommandOptions.Section}:MaxConcurrentPerSandbox); wait for one to end or kill one with POST …/commands/{{cid}}/kill.");
            }
            _running[record.Id] = run;
        }
        try
        {
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                db.Commands.Add(record);
                await db.SaveChangesAsync(cancellationToken);
            }
            run.Process = await provider.StartProcessAsync(sandboxId,
                new SandboxProcessSpec(request.Command, request.Env, relative, OpenInput: true, LosslessOutput: true), cancellationToken);
        }
        catch
        {
            _running.TryRemove(record.Id, out _);
            run.Output.Dispose();
            record.Status = CommandStatus.Lost;
            record.EndedAt = time.GetUtcNow();
            await FinishRecordAsync(record);
            throw;
        }
        CommandsLog.Started(logger, record.Id, sandboxId, string.Join(' ', request.Command));
        await events.PublishAsync(new EventDraft(EventTypes.CommandStarted, "command", record.Id, sandboxId,
            new { command_id = record.Id, command = request.Command, cwd }), CancellationToken.None);
        run.Watch = WatchAsync(run, timeout);
        return Copy(record);
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<CommandRecord>> ListAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var records = await db.Commands.AsNoTracking().Where(c => c.SandboxId == sandboxId).OrderByDescending(c => c.StartedAt).Take(200).ToListAsync(cancellationToken);
        return records.Select(Current).ToList();
    }

    public async Task<CommandRecord> GetAsync(string sandboxId, string commandId, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(commandId, out var run) && run.Record.SandboxId == sandboxId)
        {
            return Current(run.Record);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Commands.AsNoTracking().FirstOrDefaultAsync(c => c.Id == commandId && c.SandboxId == sandboxId, cancellationToken)
            ?? throw new CommandNotFoundException(sandboxId, commandId);
    }

    /// <summary>The kept output so far and, while it runs and <paramref name="follow"/> asks, every later chunk until it ends.</summary>
    public async Task<(byte[] Kept, CommandFollower? Next)> ReadOutputAsync(string sandboxId, string commandId, bool follow, CancellationToken cancellationToken)
    {
        var record = await GetAsync(sandboxId, commandId, cancellationToken);
        if (_running.TryGetValue(record.Id, out var run))
        {
            var (kept, next) = run.Output.Follow(follow);
            return (kept, next is null ? null : new CommandFollower(next, () => run.Output.Unfollow(next)));
        }
        var path = OutputPath(record.Id);
        return (File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : [], null);
    }

    /// <summary>Writes to the command's stdin; <paramref name="eof"/> closes it afterwards.</summary>
    public async Task WriteInputAsync(string sandboxId, string commandId, ReadOnlyMemory<byte> input, bool eof, CancellationToken cancellationToken)
    {
        var run = await RequireRunningAsync(sandboxId, commandId, "takes no more input", cancellationToken);
        await run.InputGate.WaitAsync(cancellationToken);
        try
        {
            if (run.InputClosed || run.Process?.Input is not { } stdin)
            {
                throw new CommandEndedException($"Command '{commandId}' already had its stdin closed (?eof=true); it takes no more input.");
            }
            var written = false;
            try
            {
                if (input.Length > 0)
                {
                    await stdin.WriteAsync(input, cancellationToken);
                    written = true;
                    await stdin.FlushAsync(cancellationToken);
                }
                if (eof)
                {
                    run.InputClosed = true;
                    await stdin.DisposeAsync();
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The command closed its stdin or exited while we wrote (its end disposes the pipe: ObjectDisposedException).
                // Written and then closed is what ?eof=true asked for: the command had the bytes; its stdin is closed either way.
                if (written && eof)
                {
                    run.InputClosed = true;
                    return;
                }
                throw new CommandEndedException($"Command '{commandId}' no longer reads its stdin (it closed it or ended).");
            }
        }
        finally
        {
            run.InputGate.Release();
        }
    }

    /// <summary>Kills the command's whole process tree; its status becomes killed.</summary>
    public async Task<CommandRecord> KillAsync(string sandboxId, string commandId, CancellationToken cancellationToken)
    {
        var run = await RequireRunningAsync(sandboxId, commandId, "cannot be killed", cancellationToken);
        await EndAsync(run, CommandStatus.Killed);
        return await GetAsync(sandboxId, commandId, cancellationToken);
    }

    /// <summary>
    /// The sandbox stops or goes away: its commands are killed first, so they end as killed rather than as
    /// failed. A deleted sandbox takes its command records and output files with it.
    /// </summary>
    public async Task SandboxStoppingAsync(string sandboxId, bool deleting, CancellationToken cancellationToken)
    {
        var runs = _running.Values.Where(r => r.Record.SandboxId == sandboxId).ToList();
        await Task.WhenAll(runs.Select(r => EndAsync(r, CommandStatus.Killed)));
        if (!deleting)
        {
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ids = await db.Commands.Where(c => c.SandboxId == sandboxId).Select(c => c.Id).ToListAsync(cancellationToken);
        foreach (var id in ids)
        {
            File.Delete(OutputPath(id));
        }
        await db.Commands.Where(c => c.SandboxId == sandboxId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>At start-up: commands recorded as running died with the previous service (their process tree was its child).</summary>
    public async Task MarkLostAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        // Only this instance's: another instance's commands run there.
        var local = db.Sandboxes.Where(s => s.InstanceId == instance.Id).Select(s => s.Id);
        var lost = await db.Commands.Where(c => c.Status == CommandStatus.Running && local.Contains(c.SandboxId)).ToListAsync(cancellationToken);
        foreach (var record in lost.Where(r => !_running.ContainsKey(r.Id)))
        {
            record.Status = CommandStatus.Lost;
            record.EndedAt = now;
            var path = OutputPath(record.Id);
            record.OutputBytes = File.Exists(path) ? new FileInfo(path).Length : 0;
        }
        await db.SaveChangesAsync(cancellationToken);
        if (lost.Count > 0)
        {
            CommandsLog.MarkedLost(logger, lost.Count);
        }
    }

    /// <summary>
    /// The service stops: its commands die with it (their process trees are its children) and are
    /// recorded as lost — here if the database is still there, else by <see cref="MarkLostAsync"/> at the next start.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_running.Values.Select(r => EndAsync(r, CommandStatus.Lost)));
    }

    /// <summary>Whole milliseconds from start to end (or to now while it runs).</summary>
    public long DurationMs(CommandRecord record) => (long)((record.EndedAt ?? time.GetUtcNow()) - record.StartedAt).TotalMilliseconds;

    internal string OutputPath(string commandId) => Path.Join(OutputDirectory, commandId + ".log");
}
