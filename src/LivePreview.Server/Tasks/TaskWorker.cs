using System.Text.Json;
using LivePreview.AgentSessions;
using LivePreview.Events;
using LivePreview.Git;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Prototypes;
using LivePreview.Repositories;
using LivePreview.Sandboxes;
using LivePreview.Tasks.Forges;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks;

/// <summary>
/// Runs queued tasks: <see cref="TaskOptions.Workers"/> loops (after the start-up barrier) claim a task each from
/// <see cref="TaskQueue"/> and take it through sandbox from the repository → branch <c>livepreview/&lt;task id&gt;</c> →
/// agent session → commit → push → pull request, recording progress and publishing an event per step. The sandbox is
/// kept afterwards. A lost lease (cancelled, or claimed elsewhere after expiry) ends the attempt quietly.
/// </summary>
public sealed partial class TaskWorker(
    TaskQueue queue,
    SandboxManager sandboxes,
    PreviewManager previews,
    AgentSessionManager sessions,
    SandboxGit sandboxGit,
    BranchPublisher publisher,
    IForge forge,
    IEventBus events,
    Metrics.PreviewMetrics metrics,
    StartupBarrier barrier,
    IOptionsMonitor<TaskOptions> options,
    TimeProvider time,
    ILogger<TaskWorker> logger) : BackgroundService
{
    /// <summary>Required capabilities that make a task a frontend task (it waits for its preview).</summary>
    public static readonly IReadOnlySet<string> FrontendCapabilities = new HashSet<string>(StringComparer.Ordinal) { "vite", "next", "react", "vue", "svelte", "frontend" };

    /// <summary>How long a sandbox may take to run (clone, install, dev server), and its preview to become ready.</summary>
    private static readonly TimeSpan SandboxTimeout = TimeSpan.FromMinutes(15);

    /// <summary>This process's claim name: leases it takes are its own.</summary>
    public string InstanceId { get; } = "worker-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await barrier.WaitAsync(stoppingToken);
            var workers = Math.Clamp(options.CurrentValue.Workers, 0, 64);
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => LoopAsync(stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            TaskClaim? claim = null;
            try
            {
                claim = await queue.TryClaimAsync(InstanceId, null, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(logger, ex);
            }
            if (claim is null)
            {
                await Task.Delay(options.CurrentValue.PollInterval, time, stoppingToken);
                continue;
            }
            await RunAsync(claim, stoppingToken);
        }
    }

    private async Task RunAsync(TaskClaim claim, CancellationToken stoppingToken)
    {
        var run = new Run(claim.Task, claim.Lease);
        try
        {
            await PublishAsync(run, EventTypes.TaskClaimed, new { attempt = claim.Task.Attempts, worker = InstanceId });
            await PipelineAsync(run, stoppingToken);
        }
        catch (TaskLeaseLostException ex)
        {
            LogLeaseLost(logger, run.Task.Id, ex.Current?.ToString() ?? "gone");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The lease runs out and another worker (or this one after a restart) claims the task again.
        }
        catch (Exception ex)
        {
            var (message, retryable) = Describe(ex);
            LogTaskFailed(logger, ex, run.Task.Id, retryable);
            try
            {
                var state = await queue.FailAsync(run.Lease, message, retryable, CancellationToken.None);
                if (state == TaskState.Failed)
                {
                    EndedForGood(run);
                }
                await PublishAsync(run, EventTypes.TaskFailed, new { error = message, retryable, status = state.ToString().ToLowerInvariant() });
            }
            catch (TaskLeaseLostException)
            {
            }
        }
    }

    private async Task PipelineAsync(Run run, CancellationToken ct)
    {
        var task = run.Task;
        var capabilities = JsonSerializer.Deserialize<string[]>(task.RequiredCapabilities) ?? [];
        run.Frontend = capabilities.Any(FrontendCapabilities.Contains);
        // a. the sandbox, owned by the task's owner.
        var created = await sandboxes.CreateFromRepositoryAsync(new RepositoryRequest(task.RepositoryUrl, task.BaseBranch), null, task.Owner, ct);
        run.Frontend |= created.App?.Frontend == true;
        run.Progress = run.Progress with { SandboxId = created.Id };
        await queue.AdvanceAsync(run.Lease, TaskState.Running, run.Progress, ct);
        var sandbox = await WaitForSandboxAsync(run, created.Id, ct);
        var frontend = run.Frontend |= sandbox.App?.Frontend == true;
        if (frontend)
        {
            run.Progress = run.Progress with { PreviewUrl = await WaitForPreviewAsync(run, sandbox, ct) };
        }
        await queue.AdvanceAsync(run.Lease, TaskState.Running, run.Progress, ct);
        await PublishAsync(run, EventTypes.TaskSandboxReady, new { frontend, preview_url = run.Progress.PreviewUrl });

        // b. the task's branch.
        var branch = "livepreview/" + task.Id;
        await sandboxGit.SwitchToNewBranchAsync(sandbox.Id, branch, ct);
        run.Progress = run.Progress with { Branch = branch };
        await queue.AdvanceAsync(run.Lease, TaskState.Running, run.Progress, ct);

        // c. the agent, until its session ends.
        var instruction = string.IsNullOrWhiteSpace(task.Description) ? task.Title : task.Title + "\n\n" + task.Description;
        var session = await sessions.StartAsync(sandbox.Id, new StartAgentSessionRequest(task.Agent, instruction, null), task.Owner, ct);
        await PublishAsync(run, EventTypes.TaskAgentStarted, new { session_id = session.Id, agent = session.Agent });
        var ended = await WaitForSessionAsync(run, sandbox.Id, ct);
        if (ended.Status != AgentSessionStates.Name(AgentSessionStatus.Completed))
        {
            throw new TaskStepException($"The agent session {ended.Id} ended {ended.Status}: {ended.Error ?? "no error given"}", retryable: false);
        }

        // d–e. commit and push.
        var commit = await sandboxGit.CommitAllAsync(sandbox.Id, $"LivePreview task {task.Id}: {task.Title}", allowEmpty: false, ct)
            ?? throw new TaskStepException("The agent changed nothing: there is nothing to commit.", retryable: false);
        await queue.AdvanceAsync(run.Lease, TaskState.Pushing, run.Progress, ct);
        var pushed = await publisher.PushAsync(sandbox.Id, branch, task.RepositoryUrl, ct);
        run.Progress = run.Progress with { CommitSha = pushed };
        await queue.AdvanceAsync(run.Lease, TaskState.Pushing, run.Progress, ct);
        await PublishAsync(run, EventTypes.TaskPushed, new { branch, commit = pushed, files = commit.Files.Count });

        // f. the pull request.
        var body = run.Progress.PreviewUrl is { } url ? $"{task.Description}\n\nPreview: {url}".TrimStart() : task.Description;
        var pullRequest = await forge.CreatePullRequestAsync(task.RepositoryUrl, branch, task.BaseBranch, task.Title, body, ct);
        run.Progress = run.Progress with { PullRequestUrl = pullRequest.Url.ToString() };
        await queue.AdvanceAsync(run.Lease, TaskState.Pushing, run.Progress, ct);
        await PublishAsync(run, EventTypes.TaskPrCreated, new { pull_request_url = run.Progress.PullRequestUrl, number = pullRequest.Number, existing = pullRequest.Existing });

        // g. done; the sandbox stays.
        await queue.CompleteAsync(run.Lease, run.Progress, ct);
        EndedForGood(run);
        await PublishAsync(run, EventTypes.TaskCompleted, new { pull_request_url = run.Progress.PullRequestUrl, commit = pushed, preview_url = run.Progress.PreviewUrl });
    }

    private async Task<SandboxSnapshot> WaitForSandboxAsync(Run run, string sandboxId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + SandboxTimeout;
        while (true)
        {
            var sandbox = await sandboxes.GetAsync(sandboxId, ct)
                ?? throw new TaskStepException($"The task's sandbox {sandboxId} was deleted before it ran.", retryable: true);
            switch (sandbox.Status)
            {
                case SandboxStatus.Running:
                    return sandbox;
                case SandboxStatus.Error:
                    throw new TaskStepException($"The task's sandbox {sandboxId} failed: {sandbox.Error}", retryable: false);
                case SandboxStatus.Creating:
                    break;
                default:
                    throw new TaskStepException($"The task's sandbox {sandboxId} is {sandbox.Status.ToString().ToLowerInvariant()}, not running.", retryable: false);
            }
            await PauseAsync(run, deadline, $"The task's sandbox {sandboxId} was not running after {SandboxTimeout.TotalMinutes:0} minutes.", ct);
        }
    }

    private async Task<string> WaitForPreviewAsync(Run run, SandboxSnapshot sandbox, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + SandboxTimeout;
        var port = sandbox.DevServerPlan?.Port;
        while (true)
        {
            var all = previews.ForSandbox(sandbox.Id);
            var preview = all.FirstOrDefault(p => p.Port == port) ?? all.FirstOrDefault();
            if (preview is { Status: PreviewStatus.Ready })
            {
                return preview.Url;
            }
            if (preview is { Status: PreviewStatus.Error })
            {
                throw new TaskStepException($"The preview of the task's sandbox {sandbox.Id} failed: {preview.Error}", retryable: false);
            }
            await PauseAsync(run, deadline, $"The preview of the task's sandbox {sandbox.Id} was not ready after {SandboxTimeout.TotalMinutes:0} minutes.", ct);
        }
    }

    /// <summary>
    /// Until the session leaves running / waiting_for_answer. Subscribed to the sandbox's session ends before each read of
    /// the state, so an end between the read and the wait still wakes it; the events are only wake-ups (the state is read
    /// again), and a slow re-check stays as a safety net (a missed event, a stream the bus ended). An agent may wait for
    /// an answer for long: no deadline, the lease is renewed meanwhile.
    /// </summary>
    private async Task<AgentSessionView> WaitForSessionAsync(Run run, string sandboxId, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stream = events.SubscribeAsync(new EventFilter(sandboxId, SessionWakeUps), stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool>? next = null;
        var live = true;
        try
        {
            while (true)
            {
                var view = await sessions.ViewAsync(sandboxId, ct)
                    ?? throw new TaskStepException("The task's agent session is gone.", retryable: false);
                if (view.Status is not ("running" or "waiting_for_answer"))
                {
                    return view;
                }
                var recheck = Task.Delay(SessionRecheck, time, ct);
                if (live)
                {
                    next ??= NextOrEndAsync(stream);
                    await Task.WhenAny(next, recheck);
                    ct.ThrowIfCancellationRequested();
                    if (next.IsCompleted)
                    {
                        live = await next;
                        next = null;
                    }
                }
                else
                {
                    await recheck;
                }
                await RenewIfDueAsync(run, ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            if (next is not null)
            {
                await next.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            await stream.DisposeAsync();
        }
    }

    /// <summary>Events that may end a session (or its sandbox) on the sandbox being waited on.</summary>
    private static readonly HashSet<string> SessionWakeUps =
    [
        EventTypes.SessionCompleted, EventTypes.SessionFailed, EventTypes.Interrupted,
        EventTypes.SandboxStopped, EventTypes.SandboxDeleted, EventTypes.SandboxFailed,
    ];

    /// <summary>The safety net's period while waiting on events: not below the poll interval, and often enough to renew the lease.</summary>
    private TimeSpan SessionRecheck
    {
        get
        {
            var o = options.CurrentValue;
            var often = o.Lease / 4 < TimeSpan.FromSeconds(5) ? o.Lease / 4 : TimeSpan.FromSeconds(5);
            return often > o.PollInterval ? often : o.PollInterval;
        }
    }

    /// <summary>The next event, or false once the stream ended (the bus drops a reader that fell too far behind).</summary>
    private static async Task<bool> NextOrEndAsync(IAsyncEnumerator<LivePreviewEvent> stream)
    {
        try
        {
            return await stream.MoveNextAsync();
        }
        catch (SlowSubscriberException)
        {
            return false;
        }
    }

    /// <summary>One poll interval, renewing the lease when half of it is used (a cancelled task throws TaskLeaseLostException here).</summary>
    private async Task PauseAsync(Run run, DateTimeOffset deadline, string timeout, CancellationToken ct)
    {
        if (time.GetUtcNow() > deadline)
        {
            throw new TaskStepException(timeout, retryable: true);
        }
        await Task.Delay(options.CurrentValue.PollInterval, time, ct);
        await RenewIfDueAsync(run, ct);
    }

    private async Task RenewIfDueAsync(Run run, CancellationToken ct)
    {
        if (run.Lease.Until - time.GetUtcNow() < options.CurrentValue.Lease / 2)
        {
            run.Lease = await queue.RenewLeaseAsync(run.Lease, null, ct);
        }
    }

    /// <summary>Preview availability (the seed's metric): a frontend task that will not run again, with or without its preview.</summary>
    private void EndedForGood(Run run)
    {
        if (run.Frontend)
        {
            metrics.FrontendTaskEnded(run.Progress.PreviewUrl is not null);
        }
    }

    private Task PublishAsync(Run run, string type, object payload) =>
        events.PublishAsync(new EventDraft(type, EntityTypes.Task, run.Task.Id, run.Progress.SandboxId, payload, run.Task.Owner), CancellationToken.None);

    /// <summary>The task's error and whether another attempt may succeed (5xx, timeouts, unreachable remotes).</summary>
    internal static (string Message, bool Retryable) Describe(Exception ex) => ex switch
    {
        TaskStepException s => (s.Message, s.Retryable),
        ForgeException f => ("The pull request could not be opened: " + f.Message, f.Status >= 500),
        GitPushException p => ("The branch could not be pushed: " + p.Message, p.Status >= 500),
        GitRemoteRefusedException r => (r.Message, false),
        RepositoryException r => ("The task's sandbox could not be made: " + r.Message, r.Status >= 500),
        SandboxLimitException l => (l.Message, true),
        InvalidAgentSessionRequestException a => ("The agent could not start: " + a.Message, false),
        TimeoutException or TaskCanceledException => ("Timed out: " + ex.Message, true),
        GitException g => ("Git in the task's sandbox failed: " + g.Message, false),
        _ => ("The task failed: " + ex.Message, true),
    };

    private sealed class Run(TaskRecord task, TaskLease lease)
    {
        public TaskRecord Task { get; } = task;
        public TaskLease Lease { get; set; } = lease;
        public TaskProgress Progress { get; set; } = new();

        /// <summary>Known from its capabilities, or once its sandbox's app is detected.</summary>
        public bool Frontend { get; set; }
    }

    [LoggerMessage(EventId = 2650, Level = LogLevel.Error, Message = "Task worker loop failed")]
    private static partial void LogLoopFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 2651, Level = LogLevel.Information, Message = "Task {TaskId} lost its lease ({State}); this attempt stops")]
    private static partial void LogLeaseLost(ILogger logger, string taskId, string state);

    [LoggerMessage(EventId = 2652, Level = LogLevel.Warning, Message = "Task {TaskId} failed (retryable: {Retryable})")]
    private static partial void LogTaskFailed(ILogger logger, Exception ex, string taskId, bool retryable);
}

/// <summary>A pipeline step that cannot go on, with whether a later attempt may succeed.</summary>
public sealed class TaskStepException(string message, bool retryable) : Exception(message)
{
    public bool Retryable { get; } = retryable;
}
