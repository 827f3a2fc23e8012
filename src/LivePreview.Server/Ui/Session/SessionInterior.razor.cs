using System.Security.Claims;
using LivePreview.Agents;
using LivePreview.AgentSessions;
using LivePreview.Events;
using LivePreview.Previews;
using LivePreview.Questions;
using LivePreview.Sandboxes;
using LivePreview.Ui.Shared;
using LivePreview.Ui.Terminal;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace LivePreview.Ui.Session;

/// <summary>
/// The inside of an agent session on one sandbox (the session page's body, and a task page's): the activity on the left, Terminal / Preview / Files on the right, the
/// session's state and actions above, and the question the agent waits on. It subscribes to the sandbox's
/// events first, then reads the stored ones and the current state (session, pending questions), so a reload
/// or a reconnect shows exactly where things are; after that the live events keep it current.
/// </summary>
public sealed partial class SessionInterior
{
    private const int StoredPageSize = 500;

    private enum Tab { Terminal, Preview, Files }

    /// <summary>The sandbox whose latest session is shown; a sandbox the user may not see is "No such sandbox".</summary>
    [Parameter, EditorRequired] public string Id { get; set; } = "";

    /// <summary>
    /// Inside a task's page: a heading under the page's, and no Start or Resume — the task's worker started the session
    /// and waits for its end, so a new one would not become the task's. Questions, Interrupt and the tabs stay.
    /// </summary>
    [Parameter] public bool Embedded { get; set; }

    [Inject] private SandboxManager Sandboxes { get; set; } = null!;
    [Inject] private AgentSessionManager Sessions { get; set; } = null!;
    [Inject] private QuestionService Questions { get; set; } = null!;
    [Inject] private AgentRegistry Agents { get; set; } = null!;
    [Inject] private PreviewManager Previews { get; set; } = null!;
    [Inject] private IEventBus Bus { get; set; } = null!;
    [Inject] private EventStore Store { get; set; } = null!;
    [Inject] private AuthenticationStateProvider Authentication { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IOptions<UiOptions> Options { get; set; } = null!;
    [Inject] private IOptions<QuestionOptions> QuestionSettings { get; set; } = null!;
    [Inject] private ILogger<SessionInterior> Logger { get; set; } = null!;

    private SandboxSnapshot? _sandbox;
    private PreviewSnapshot? _preview;
    private AgentSessionView? _session;
    private List<QuestionView> _pending = [];
    private IReadOnlyList<AgentStatus> _agents = [];
    private SessionEventLog _log = new(300);
    private bool _loaded;
    private bool _feedLoaded;
    private LiveEvents? _live;
    private string? _followed;
    private ClaimsPrincipal _user = new();
    private Tab? _picked;
    private bool _terminalShown;
    private bool _focusTerminal;
    private TerminalPanel? _terminal;

    private Tab _tab => _picked ?? (_preview is not null ? Tab.Preview : Tab.Files);

    private string Selected(Tab tab) => _tab == tab ? "true" : "false";

    /// <summary>
    /// The session's state as shown. The switch between running and waiting_for_answer publishes no event of its own
    /// (QUESTION and ANSWERED come just before it), so a pending question of the sandbox is what the badge follows.
    /// </summary>
    private string? DisplayStatus => _session?.Status switch
    {
        "running" when _pending.Count > 0 => "waiting_for_answer",
        "waiting_for_answer" when _pending.Count == 0 => "running",
        var status => status,
    };

    /// <summary>The edits made since the latest session started (all of the sandbox's, when it never had one).</summary>
    private IReadOnlyList<FileEdit> SessionEdits =>
        _session is null ? _log.Edits : [.. _log.Edits.Where(e => e.Timestamp >= _session.CreatedAt)];

    private void Pick(Tab tab)
    {
        _picked = tab;
        if (tab == Tab.Terminal)
        {
            (_terminalShown, _focusTerminal) = (true, true);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_focusTerminal && _terminal is not null)
        {
            _focusTerminal = false;
            await _terminal.FocusAsync();
        }
    }

    /// <summary>The router reuses this page when only the id changes: follow the new sandbox then.</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (Id == _followed)
        {
            return;
        }
        _followed = Id;
        (_picked, _terminalShown, _feedLoaded, _log) = (null, false, false, new SessionEventLog(Options.Value.ActivityLimit));
        _user = await Authentication.UserAsync();
        await DisposeAsync();
        await LoadAsync(CancellationToken.None);
        if (RendererInfo.IsInteractive && _sandbox is not null)
        {
            // Only the user's events, even for a sandbox id that is not theirs (LoadAsync checked that too).
            var filter = new EventFilter(SandboxId: Id).VisibleTo(_user);
            _live = LiveEvents.Start(Bus, filter, new LiveEventHandlers(OnEventAsync, PollAsync, Options.Value.PollInterval, ReplayAsync), Time, Logger);
        }
    }

    /// <summary>Stored events first, then the state read again: what changed before the subscription is not lost.</summary>
    private async Task<long> ReplayAsync(CancellationToken ct)
    {
        var stored = await ReadAfterAsync(0, ct);
        await InvokeAsync(async () =>
        {
            _log.Add(stored);
            _feedLoaded = true;
            await LoadAsync(ct);
            StateHasChanged();
        });
        return _log.Cursor;
    }

    private Task OnEventAsync(LivePreviewEvent e) => InvokeAsync(async () =>
    {
        if (_log.Add([e]))
        {
            await LoadAsync(CancellationToken.None);
        }
        StateHasChanged();
    });

    private async Task PollAsync(CancellationToken ct)
    {
        var newer = await ReadAfterAsync(_log.Cursor, ct);
        await InvokeAsync(async () =>
        {
            _log.Add(newer);
            await LoadAsync(ct);
            StateHasChanged();
        });
    }

    /// <summary>The sandbox (someone else's is "No such sandbox", like an unknown id), its session, pending questions, preview and agents.</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        _sandbox = await Sandboxes.FindVisibleAsync(Id, _user, ct);
        if (_sandbox is not null)
        {
            _session = await Sessions.ViewAsync(Id, ct);
            _pending = [.. (await Questions.ListAsync(Id, recent: 0, ct)).Where(q => q.Status == "pending").OrderBy(q => q.AskedAt)];
            _preview = Display.PrimaryPreview(Previews.ForSandbox(Id), _sandbox);
            _agents = [.. Agents.All.Select(a => Agents.Availability(a.Name))];
        }
        _loaded = true;
    }

    /// <summary>Everything stored after the cursor, page by page; only the newest <see cref="UiOptions.ActivityLimit"/> are kept.</summary>
    private async Task<List<LivePreviewEvent>> ReadAfterAsync(long after, CancellationToken ct)
    {
        var filter = new EventFilter(SandboxId: Id).VisibleTo(_user);
        var kept = new List<LivePreviewEvent>();
        while (true)
        {
            var page = await Store.ReadAfterAsync(after, filter, StoredPageSize, ct);
            kept.AddRange(page);
            if (kept.Count > Options.Value.ActivityLimit * 4)
            {
                kept.RemoveRange(0, kept.Count - Options.Value.ActivityLimit * 4);
            }
            if (page.Count < StoredPageSize)
            {
                return kept;
            }
            after = page[^1].Sequence;
        }
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
