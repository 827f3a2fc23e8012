using LivePreview.Agents;
using LivePreview.Instances;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Prototypes;
using LivePreview.RateLimits;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// What the page's buttons do. Each refusal is caught here and said where the button is, never thrown at the circuit. A
/// session whose sandbox another instance runs gets the API request itself, sent there (<see cref="InstanceClient"/>).
/// </summary>
public sealed partial class PrototypePage
{
    private bool _starting;
    private string? _startError;
    private UiProblem? _promptProblem;
    private bool _interrupting;
    private string? _restoring;
    private UiProblem? _checkpointProblem;
    private string? _changesOf;
    private IReadOnlyList<CheckpointFileDiff>? _changes;
    private bool _exporting;
    private ExportOutcome? _export;
    private bool _ending;
    private UiProblem? _endProblem;

    // Start and Send call the manager directly, so they ask the API's per-user limits first (RateLimits/).
    [Inject] private UserRateLimits RateLimits { get; set; } = null!;
    [Inject] private InstanceClient Instances { get; set; } = null!;

    /// <summary>This session's API path (<c>/api/v1/prototype/session/{id}[/…]</c>), for the owner instance.</summary>
    private PathString SessionPath(string? action = null) => new($"/api/v1/prototype/session/{_record!.Id}{(action is null ? "" : "/" + action)}");

    /// <summary>The action here, or its API request at the instance that runs the session's sandbox.</summary>
    private async Task<T> HereOrThereAsync<T>(Func<Task<T>> here, HttpMethod method, PathString path, object? body = null) =>
        await Instances.RunAsync(_record!.SandboxId, await Authentication.UserAsync(), here, method, path, body);

    private async Task HereOrThereAsync(Func<Task> here, HttpMethod method, PathString path, object? body = null) =>
        await Instances.RunAsync(_record!.SandboxId, await Authentication.UserAsync(), here, method, path, body);

    private async Task EnsureAllowedAsync(UserLimit limit) =>
        await RateLimits.EnsureAllowedAsync(limit, await Authentication.UserAsync(), "UI", "/" + Navigation.ToBaseRelativePath(Navigation.Uri));

    /// <summary>An action that changes the workspace's history is under way (the manager refuses a second one with a 409).</summary>
    private bool Busy => _timeline.IsWorking || _restoring is not null || _exporting || _ending;

    /// <summary>Derived like the session view's status, but from the live sandbox, preview and conversation.</summary>
    private string Status =>
        _timeline.Ended ? "ended"
        : _timeline.IsWorking ? "working"
        : SandboxGone || _sandbox?.Status == SandboxStatus.Error || _preview?.Status == PreviewStatus.Error ? "error"
        : _preview?.Status == PreviewStatus.Ready ? "ready"
        : _sandbox?.Status == SandboxStatus.Stopped || _preview?.Status == PreviewStatus.Stopped ? "stopped"
        : "starting";

    private string StatusLabel => Status switch
    {
        "working" => WaitingForAnswer ? "Waiting for your answer" : "Agent working",
        "error" => "Failed",
        "" => "—",
        var s => char.ToUpperInvariant(s[0]) + s[1..],
    };

    private string StatusTone => Status switch
    {
        "ready" => "success",
        "starting" or "working" => "progress",
        "error" => "danger",
        _ => "muted",
    };

    /// <summary>The sandbox was deleted under the session (from the sandboxes page or the API), which lives on without it.</summary>
    private bool SandboxGone => _view is not null && !_timeline.Ended && !_ending && _sandbox is null or { Status: SandboxStatus.Deleted };

    /// <summary>Why a prompt cannot be sent now, or null when it can.</summary>
    private string? PromptDisabledHint =>
        _view is { AgentAvailable: false } ? "No agent is configured for this session."
        : WaitingForAnswer ? "The agent waits for your answer to its question above."
        : _timeline.IsWorking ? "The agent is working… you can send the next prompt when it is done."
        : _restoring is not null || _exporting ? "Wait for the restore or export to finish."
        : null;

    /// <summary>The replay agent can only answer its recordings: offer those it has not played yet.</summary>
    private IReadOnlyList<string> Suggestions
    {
        get
        {
            if (_view is not { Agent: ReplayAgentAdapter.AgentName } || Transcripts.Locate() is not { Directory: { } directory })
            {
                return [];
            }
            var played = _timeline.Turns.Where(t => t.State is TurnState.Completed or TurnState.Running).Select(t => t.Prompt).ToList();
            return Transcripts.Load(directory, _view.Framework).Select(t => t.Prompt)
                .Where(p => !played.Any(done => done.Contains(p, StringComparison.OrdinalIgnoreCase))).Take(6).ToList();
        }
    }

    private async Task StartAsync(StartChoice choice)
    {
        (_starting, _startError) = (true, null);
        try
        {
            await EnsureAllowedAsync(UserLimit.SessionCreates);
            var session = await Prototypes.StartAsync(choice.Framework, choice.Agent, null, await Authentication.UserAsync(), CancellationToken.None);
            // The answer names the sandbox and its preview (ready when it was a warm claim): show the preview now, in this
            // render, rather than after the navigation's round trip and the replay; the page keeps it when it follows the
            // session. The rest of the session (and its actions, which need the record) comes with the replay as before.
            _started = session.Id;
            await LoadSandboxAsync(session.SandboxId, CancellationToken.None);
            StateHasChanged();
            Navigation.NavigateTo($"/prototype/{session.Id}");
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, choice.Framework.Name);
            var problem = UiProblem.From(ex);
            _startError = $"{problem.Title}: {problem.Detail}";
        }
        finally
        {
            _starting = false;
        }
    }

    private async Task<bool> SendAsync(string prompt)
    {
        _promptProblem = null;
        try
        {
            var turn = await HereOrThereAsync(async () =>
            {
                await EnsureAllowedAsync(UserLimit.Prompts);
                return await Prototypes.PromptAsync(_record!.Id, prompt, CancellationToken.None);
            }, HttpMethod.Post, SessionPath("prompt"), new PromptRequest(prompt));
            // Shown as running now: PROMPT_STARTED may still be on its way.
            _timeline.Seed([turn], sessionWorking: true);
            return true;
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            _promptProblem = UiProblem.From(ex);
            // The prompt box called this (a Func, not an EventCallback): without this the page would not show why.
            StateHasChanged();
            return false;
        }
    }

    private async Task InterruptAsync()
    {
        try
        {
            if (await Instances.OwnerAsync(_record!.SandboxId, CancellationToken.None) is { } owner)
            {
                // 202: a turn was running and is being interrupted; 204: nothing was running.
                using var answer = await Instances.SendAsync(owner, await Authentication.UserAsync(), HttpMethod.Post, SessionPath("interrupt"), null, CancellationToken.None);
                _interrupting = answer.StatusCode == System.Net.HttpStatusCode.Accepted;
            }
            else
            {
                _interrupting = Prototypes.Interrupt(_record.Id);
            }
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            _promptProblem = UiProblem.From(ex);
        }
    }

    private async Task RestoreAsync(string checkpointId)
    {
        (_restoring, _checkpointProblem) = (checkpointId, null);
        try
        {
            await HereOrThereAsync(async () => { await Prototypes.RestoreAsync(_record!.Id, checkpointId, CancellationToken.None); }, HttpMethod.Post,
                SessionPath($"checkpoints/{checkpointId}/restore"));
            _checkpoints = (await CheckpointStore.ListAsync(_record!.Id, CancellationToken.None)).Select(CheckpointStore.View).ToList();
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            _checkpointProblem = UiProblem.From(ex);
        }
        finally
        {
            _restoring = null;
        }
    }

    // The session is the signed-in user's (the page loaded it through the same ownership check as the API).
    [Inject] private CheckpointDiffs Diffs { get; set; } = null!;

    /// <summary>Shows what a checkpoint changed against its parent, side by side, under it; null hides it.</summary>
    private async Task ShowChangesAsync(string? checkpointId)
    {
        (_changesOf, _changes, _checkpointProblem) = (checkpointId, null, null);
        if (checkpointId is null)
        {
            return;
        }
        try
        {
            var changes = await HereOrThereAsync<IReadOnlyList<CheckpointFileDiff>>(async () =>
            {
                var checkpoint = await CheckpointStore.FindAsync(_record!.Id, checkpointId, CancellationToken.None)
                    ?? throw new InvalidOperationException($"Session '{_record.Id}' has no checkpoint '{checkpointId}'.");
                return await Diffs.ComputeAsync(_record.SandboxId, checkpoint, CancellationToken.None);
            }, HttpMethod.Get, SessionPath($"checkpoints/{checkpointId}/diff"));
            if (_changesOf == checkpointId)
            {
                _changes = changes;
            }
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            (_changesOf, _checkpointProblem) = (null, UiProblem.From(ex));
        }
    }

    private async Task ExportAsync(ExportRequestData request)
    {
        (_exporting, _export) = (true, null);
        try
        {
            var sha = (await HereOrThereAsync(async () => new ExportResponse(await Prototypes.ExportAsync(_record!.Id, request, CancellationToken.None), request.Branch, request.RepoUrl),
                HttpMethod.Post, SessionPath("export"), new ExportRequest(request.RepoUrl, request.Branch, request.Message))).CommitSha;
            _export = new ExportOutcome.Pushed(sha, request.Branch, request.RepoUrl);
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            _export = new ExportOutcome.Refused(UiProblem.From(ex));
        }
        finally
        {
            _exporting = false;
        }
    }

    private async Task EndAsync()
    {
        (_ending, _endProblem) = (true, null);
        try
        {
            await HereOrThereAsync(async () => { await Prototypes.EndAsync(_record!.Id, CancellationToken.None); }, HttpMethod.Delete, SessionPath());
            _timeline.MarkEnded();
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record!.Id);
            _endProblem = UiProblem.From(ex);
        }
        finally
        {
            _ending = false;
        }
    }
}
