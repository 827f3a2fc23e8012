using System.Security.Claims;
using LivePreview.Agents;
using LivePreview.Auth;
using LivePreview.Events;
using LivePreview.Git;
using LivePreview.RateLimits;
using LivePreview.Tasks;
using LivePreview.Ui.Session;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace LivePreview.Ui.Tasks;

/// <summary>
/// <c>/tasks</c>: the user's tasks (admins: everyone's), newest first, as <c>GET /api/v1/tasks</c> lists them, read again
/// on each <c>TASK_*</c> event the user may see; and the form that queues one through the create route's own checks.
/// </summary>
public sealed partial class TasksPage
{
    [Inject] private TaskQueue Queue { get; set; } = null!;
    [Inject] private AgentRegistry Agents { get; set; } = null!;
    [Inject] private GitRemotePolicy Remotes { get; set; } = null!;
    [Inject] private HostGit Git { get; set; } = null!;
    [Inject] private UserRateLimits RateLimits { get; set; } = null!;
    [Inject] private IEventBus Bus { get; set; } = null!;
    [Inject] private AuthenticationStateProvider Authentication { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<UiOptions> Options { get; set; } = null!;
    [Inject] private ILogger<TasksPage> Logger { get; set; } = null!;

    private IReadOnlyList<TaskRecord>? _tasks;
    private IReadOnlyList<AgentStatus> _agents = [];
    private ClaimsPrincipal _user = new();
    private bool _admin;
    private LiveEvents? _live;
    private PeriodicTimer? _clock;
    private bool _creating;
    private ActionProblem? _problem;

    protected override async Task OnInitializedAsync()
    {
        _user = await Authentication.UserAsync();
        _admin = _user.IsAdmin();
        _agents = [.. Agents.All.Select(a => Agents.Availability(a.Name))];
        if (RendererInfo.IsInteractive)
        {
            // Read again once subscribed: a task that moved between the first read and the subscription is not missed.
            var filter = new EventFilter(EntityType: EntityTypes.Task).VisibleTo(_user);
            var handlers = new LiveEventHandlers(_ => InvokeAsync(LoadAndRenderAsync), _ => InvokeAsync(LoadAndRenderAsync), Options.Value.PollInterval,
                Replay: async _ => { await InvokeAsync(LoadAndRenderAsync); return 0; });
            _live = LiveEvents.Start(Bus, filter, handlers, Time, Logger);
            _ = TickAsync(_clock = new PeriodicTimer(Options.Value.ClockInterval, Time));
        }
        await LoadAsync();
    }

    private async Task LoadAsync() =>
        _tasks = await Queue.ListAsync(_user.IsAdmin() ? null : _user.RequireUserId(), TaskApi.MaxListed, CancellationToken.None);

    private async Task LoadAndRenderAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    /// <summary>As <c>POST /api/v1/tasks</c>: the user's create limit, then <see cref="TaskApi.CheckAsync"/>, then the queue; a refusal is said under the form.</summary>
    private async Task<bool> CreateAsync(CreateTaskRequest request)
    {
        (_creating, _problem) = (true, null);
        StateHasChanged();
        try
        {
            var user = await Authentication.UserAsync();
            await RateLimits.EnsureAllowedAsync(UserLimit.SandboxCreates, user, "UI", "/" + Navigation.ToBaseRelativePath(Navigation.Uri));
            var (task, refused) = await TaskApi.CheckAsync(request, user.RequireUserId(), Remotes, Git, Agents, CancellationToken.None);
            if (refused is { } r)
            {
                _problem = new ActionProblem(StatusCodes.Status400BadRequest, r.Title, r.Detail);
                return false;
            }
            var queued = await Queue.EnqueueAsync(task!, CancellationToken.None);
            TasksLog.Queued(Logger, queued.Id);
            return true;
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, "a new task");
            _problem = ActionProblem.From(ex);
            return false;
        }
        finally
        {
            _creating = false;
            await LoadAsync();
            // The form's callback is a plain delegate, not an EventCallback: nothing re-renders this page (where the
            // problem and the list live) unless it says so.
            StateHasChanged();
        }
    }

    /// <summary>Keeps "created 3 min ago" true while the page sits open.</summary>
    private async Task TickAsync(PeriodicTimer clock)
    {
        try
        {
            while (await clock.WaitForNextTickAsync())
            {
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _clock?.Dispose();
        if (_live is not null)
        {
            await _live.DisposeAsync();
        }
    }
}
