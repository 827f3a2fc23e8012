using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Previews;
using LivePreview.Prototypes;
using LivePreview.Sandboxes;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// A prototyping session: the conversation, checkpoints and export on the left, the live preview and
/// the code on the right. It subscribes to the session's sandbox first, then reads the stored events and
/// the session's state, so that nothing published in between is lost; then it follows the live events.
/// </summary>
public sealed partial class PrototypePage
{
    private const int StoredPageSize = 500;

    /// <summary>The question events of the session's sandbox (declared before <see cref="PageEvents"/>, which uses them).</summary>
    private static readonly IReadOnlySet<string> QuestionEvents = new HashSet<string> { EventTypes.Question, EventTypes.Answered, EventTypes.QuestionExpired };

    /// <summary>The session's own events, its sandbox's questions, and the lifecycle of its sandbox and preview.</summary>
    private static readonly IReadOnlySet<string> PageEvents = new HashSet<string>(PrototypeTimeline.Types.Concat(QuestionEvents))
    {
        EventTypes.CheckpointCreated, EventTypes.CheckpointRestored, EventTypes.CheckpointScreenshot,
        EventTypes.SandboxCreated, EventTypes.SandboxStopped, EventTypes.SandboxDeleted, EventTypes.SandboxFailed,
        EventTypes.PreviewPending, EventTypes.PreviewStarting, EventTypes.PreviewReady, EventTypes.PreviewFailed, EventTypes.PreviewStopped,
    };

    private enum SideTab { Conversation, Checkpoints, Export }

    private enum StageTab { Preview, Code }

    [Parameter] public string? SessionId { get; set; }

    [Inject] private PrototypeManager Prototypes { get; set; } = null!;
    [Inject] private Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider Authentication { get; set; } = null!;
    [Inject] private PrototypeCheckpoints CheckpointStore { get; set; } = null!;
    [Inject] private SandboxManager Sandboxes { get; set; } = null!;
    [Inject] private PreviewManager Previews { get; set; } = null!;
    [Inject] private EventStore Store { get; set; } = null!;
    [Inject] private IEventBus Bus { get; set; } = null!;
    [Inject] private ReplayTranscripts Transcripts { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<UiOptions> Options { get; set; } = null!;
    [Inject] private ILogger<PrototypePage> Logger { get; set; } = null!;

    private System.Security.Claims.ClaimsPrincipal _user = new();
    private PrototypeSessionRecord? _record;
    private PrototypeSessionView? _view;
    private SandboxSnapshot? _sandbox;
    private PreviewSnapshot? _preview;
    private IReadOnlyList<CheckpointView> _checkpoints = [];
    private PrototypeTimeline _timeline = new();
    private bool _loaded;
    private string? _followed;

    /// <summary>The session Start just made, until the page follows it: its sandbox and preview are already shown.</summary>
    private string? _started;
    private LiveEvents? _live;
    private SideTab _side;
    private StageTab _stage;

    private string Selected(SideTab tab) => _side == tab ? "true" : "false";

    private string Selected(StageTab tab) => _stage == tab ? "true" : "false";

    /// <summary>The router reuses this page when only the session changes (Start navigates here): follow the new one.</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (SessionId == _followed && _loaded)
        {
            return;
        }
        _followed = SessionId;
        await DisposeAsync();
        // The session this page just started keeps its sandbox and preview (and so its frame, which is already loading).
        var handedOver = SessionId is not null && SessionId == _started;
        _started = null;
        (_record, _view, _checkpoints, _timeline, _loaded) = (null, null, [], new(), false);
        if (!handedOver)
        {
            (_sandbox, _preview) = (null, null);
        }
        (_pending, _answerProblem) = ([], null);
        (_side, _stage) = (SideTab.Conversation, StageTab.Preview);
        _user = await Authentication.UserAsync();
        if (SessionId is not null)
        {
            // Someone else's session is the same "no such session" as an unknown one; every action below acts on _record.
            _record = await Prototypes.FindVisibleAsync(SessionId, _user, CancellationToken.None);
        }
        if (_record is not null && RendererInfo.IsInteractive)
        {
            var handlers = new LiveEventHandlers(OnEventAsync, PollAsync, Options.Value.PollInterval, ReplayAsync);
            _live = LiveEvents.Start(Bus, new EventFilter(_record.SandboxId, PageEvents).VisibleTo(_user), handlers, Time, Logger);
        }
        _loaded = true;
    }

    /// <summary>Stored events first (their last sequence is the cursor), then the state, which is at least as new.</summary>
    private async Task<long> ReplayAsync(CancellationToken ct)
    {
        var stored = await ReadStoredAsync(0, ct);
        await InvokeAsync(async () =>
        {
            foreach (var e in stored)
            {
                _timeline.Apply(e);
            }
            await LoadStateAsync(ct);
            StateHasChanged();
        });
        return stored.Count > 0 ? stored[^1].Sequence : 0;
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var newer = await ReadStoredAsync(_timeline.Cursor, ct);
        await InvokeAsync(async () =>
        {
            foreach (var e in newer)
            {
                _timeline.Apply(e);
            }
            await LoadStateAsync(ct);
            StateHasChanged();
        });
    }

    private Task OnEventAsync(LivePreviewEvent e) => InvokeAsync(async () =>
    {
        _timeline.Apply(e);
        if (e.Type is EventTypes.CheckpointCreated or EventTypes.CheckpointRestored or EventTypes.CheckpointScreenshot)
        {
            _checkpoints = (await CheckpointStore.ListAsync(_record!.Id, CancellationToken.None)).Select(CheckpointStore.View).ToList();
        }
        else if (e.EntityType is EntityTypes.Sandbox or EntityTypes.Preview)
        {
            await LoadSandboxAsync(CancellationToken.None);
        }
        else if (QuestionEvents.Contains(e.Type))
        {
            await LoadQuestionsAsync(CancellationToken.None);
        }
        _interrupting &= _timeline.IsWorking;
        StateHasChanged();
    });

    /// <summary>The session's events as stored: the conversation's history.</summary>
    private async Task<List<LivePreviewEvent>> ReadStoredAsync(long after, CancellationToken ct)
    {
        var filter = new EventFilter(_record!.SandboxId, PrototypeTimeline.Types, "prototype", _record.Id).VisibleTo(_user);
        var all = new List<LivePreviewEvent>();
        while (true)
        {
            var page = await Store.ReadAfterAsync(after, filter, StoredPageSize, ct);
            all.AddRange(page);
            if (page.Count < StoredPageSize)
            {
                return all;
            }
            after = page[^1].Sequence;
        }
    }

    private async Task LoadStateAsync(CancellationToken ct)
    {
        _view = await Prototypes.ViewAsync(_record!, ct);
        _timeline.Seed(_view.Turns, sessionWorking: _view.Status == "working");
        _checkpoints = (await CheckpointStore.ListAsync(_record!.Id, ct)).Select(CheckpointStore.View).ToList();
        await LoadSandboxAsync(ct);
        await LoadQuestionsAsync(ct);
    }

    private Task LoadSandboxAsync(CancellationToken ct) => LoadSandboxAsync(_record!.SandboxId, ct);

    private async Task LoadSandboxAsync(string sandboxId, CancellationToken ct)
    {
        _sandbox = await Sandboxes.GetAsync(sandboxId, ct);
        _preview = _sandbox is null ? null : Display.PrimaryPreview(Previews.ForSandbox(_sandbox.Id), _sandbox);
    }

    public async ValueTask DisposeAsync()
    {
        if (_live is not null)
        {
            await _live.DisposeAsync();
            _live = null;
        }
    }
}
