using System.Security.Claims;
using LivePreview.Events;
using LivePreview.Tasks;
using LivePreview.Ui.Session;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace LivePreview.Ui.Tasks;

/// <summary>
/// <c>/tasks/{id}</c>: one task as <c>GET /api/v1/tasks/{id}</c> finds it (a stranger's is the not-found page, like an
/// unknown id), its steps from its <c>TASK_*</c> events (subscribed first, then the stored ones read, duplicates dropped
/// by sequence), Cancel through the cancel route's own code, and, once the worker made its sandbox, the session page's
/// interior for the task's agent session.
/// </summary>
public sealed partial class TaskPage
{
    private const int StoredSteps = 200;

    [Parameter] public string Id { get; set; } = "";

    [Inject] private TaskQueue Queue { get; set; } = null!;
    [Inject] private IEventBus Bus { get; set; } = null!;
    [Inject] private EventStore Store { get; set; } = null!;
    [Inject] private AuthenticationStateProvider Authentication { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<UiOptions> Options { get; set; } = null!;
    [Inject] private ILogger<TaskPage> Logger { get; set; } = null!;

    private TaskRecord? _task;
    private List<TaskStep> _steps = [];
    private ClaimsPrincipal _user = new();
    private LiveEvents? _live;
    private PeriodicTimer? _clock;
    private string? _followed;
    private bool _cancelling;
    private ActionProblem? _problem;

    /// <summary>The router reuses this page when only the id changes: follow the new task then.</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (Id == _followed)
        {
            return;
        }
        _followed = Id;
        (_task, _steps, _problem) = (null, [], null);
        await DisposeAsync();
        _user = await Authentication.UserAsync();
        if (!await LoadAsync(CancellationToken.None))
        {
            return;
        }
        if (RendererInfo.IsInteractive)
        {
            var filter = new EventFilter(EntityType: EntityTypes.Task, EntityId: Id).VisibleTo(_user);
            _live = LiveEvents.Start(Bus, filter, new LiveEventHandlers(OnEventAsync, PollAsync, Options.Value.PollInterval, ReplayAsync), Time, Logger);
            // The clock also reads the task again: a cancel from elsewhere, or a state change between events, shows without a reload.
            _ = TickAsync(_clock = new PeriodicTimer(Options.Value.ClockInterval, Time));
        }
        else
        {
            AddSteps(await Store.ReadAfterAsync(0, new EventFilter(EntityType: EntityTypes.Task, EntityId: Id).VisibleTo(_user), StoredSteps, CancellationToken.None));
        }
    }

    /// <summary>The task if the user may see it; otherwise the not-found page (and false).</summary>
    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        var task = await TaskApi.FindVisibleAsync(Id, _user, Queue, ct);
        if (task is null)
        {
            _task = null;
            Navigation.NotFound();
            return false;
        }
        _task = task;
        return true;
    }

    private async Task<long> ReplayAsync(CancellationToken ct)
    {
        var stored = await Store.ReadAfterAsync(0, new EventFilter(EntityType: EntityTypes.Task, EntityId: Id).VisibleTo(_user), StoredSteps, ct);
        await InvokeAsync(async () =>
        {
            AddSteps(stored);
            await LoadAsync(ct);
            StateHasChanged();
        });
        return _steps.Count > 0 ? _steps[^1].Sequence : 0;
    }

    private Task OnEventAsync(LivePreviewEvent e) => InvokeAsync(async () =>
    {
        AddSteps([e]);
        await LoadAsync(CancellationToken.None);
        StateHasChanged();
    });

    private async Task PollAsync(CancellationToken ct)
    {
        var after = _steps.Count > 0 ? _steps[^1].Sequence : 0;
        var newer = await Store.ReadAfterAsync(after, new EventFilter(EntityType: EntityTypes.Task, EntityId: Id).VisibleTo(_user), StoredSteps, ct);
        await InvokeAsync(async () =>
        {
            AddSteps(newer);
            await LoadAsync(ct);
            StateHasChanged();
        });
    }

    /// <summary>Adds the steps not seen yet (a live event the replay also read shows once), in sequence order.</summary>
    private void AddSteps(IEnumerable<LivePreviewEvent> events)
    {
        var seen = _steps.Select(s => s.Sequence).ToHashSet();
        var added = events.Where(e => !seen.Contains(e.Sequence)).Select(TaskDisplay.Step).OfType<TaskStep>().ToList();
        if (added.Count > 0)
        {
            _steps = [.. _steps.Concat(added).OrderBy(s => s.Sequence)];
        }
    }

    /// <summary>As <c>POST /api/v1/tasks/{id}/cancel</c>: <see cref="TaskApi.TryCancelAsync"/>, with its 404 / 409 said above the task.</summary>
    private async Task CancelAsync()
    {
        (_cancelling, _problem) = (true, null);
        StateHasChanged();
        try
        {
            var (cancelled, refused) = await TaskApi.TryCancelAsync(Id, await Authentication.UserAsync(), Queue, CancellationToken.None);
            if (refused is { } r)
            {
                _problem = new ActionProblem(r.Status, r.Title, r.Detail);
            }
            else
            {
                TasksLog.Cancelled(Logger, cancelled!.Id);
            }
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, Id);
            _problem = ActionProblem.From(ex);
        }
        finally
        {
            _cancelling = false;
        }
        await LoadAsync(CancellationToken.None);
    }

    private async Task TickAsync(PeriodicTimer clock)
    {
        try
        {
            while (await clock.WaitForNextTickAsync())
            {
                await InvokeAsync(async () =>
                {
                    await LoadAsync(CancellationToken.None);
                    StateHasChanged();
                });
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _clock?.Dispose();
        _clock = null;
        if (_live is not null)
        {
            await _live.DisposeAsync();
            _live = null;
        }
    }
}
