using System.Text.RegularExpressions;
using LivePreview.Events;
using LivePreview.Sandboxes;

namespace LivePreview.Prototypes;

/// <summary>
/// Watches a sandbox's dev-server output during a turn: after the agent's edits, the dev server
/// either reports the update ("hmr update", "page reload", a recompile) or an error. Errors are what
/// the agent gets back to fix — quoted and labelled as output of the page or of the dev server (both run
/// the sandbox's code, so their text is data for the agent, never instructions), bounded and cleaned.
/// </summary>
internal sealed partial class PreviewSettleWatcher : IAsyncDisposable
{
    public const string PageOutputLabel = "Page output (reported by the running page in the browser)";
    public const string DevServerOutputLabel = "Dev-server output (a line the dev server printed)";
    private const int MaxErrorChars = 2000;
    private const int MaxErrorsKept = 100;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _errors = [];
    private readonly Lock _gate = new();
    private readonly Task _reading;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PreviewSettleWatcher(IEventBus events, string sandboxId)
    {
        var filter = new EventFilter(sandboxId, new HashSet<string> { EventTypes.DevServerLog, EventTypes.PreviewClientReport });
        _reading = ReadAsync(events.SubscribeAsync(filter, _stop.Token));
    }

    /// <summary>Starts a new observation window (call right before the agent runs).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _errors.Clear();
            _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Waits until the dev server reported something (then a short grace for follow-up lines) or the timeout passes.</summary>
    public async Task<IReadOnlyList<string>> SettleAsync(TimeSpan timeout, TimeSpan grace, CancellationToken ct)
    {
        Task signal;
        lock (_gate)
        {
            signal = _signal.Task;
        }
        await Task.WhenAny(signal, Task.Delay(timeout, ct));
        await Task.Delay(grace, ct);
        lock (_gate)
        {
            return _errors.Distinct().Take(20).ToList();
        }
    }

    private async Task ReadAsync(IAsyncEnumerable<LivePreviewEvent> stream)
    {
        try
        {
            await foreach (var e in stream)
            {
                foreach (var line in Lines(e))
                {
                    Observe(line, e.Type == EventTypes.PreviewClientReport);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Observe(string line, bool fromBrowser)
    {
        var isError = fromBrowser || ErrorLine().IsMatch(line);
        lock (_gate)
        {
            if (isError && _errors.Count < MaxErrorsKept)
            {
                _errors.Add(SandboxText.Quote(fromBrowser ? PageOutputLabel : DevServerOutputLabel, line, MaxErrorChars));
            }
            if (isError || UpdateLine().IsMatch(line))
            {
                _signal.TrySetResult();
            }
        }
    }

    private static IEnumerable<string> Lines(LivePreviewEvent e)
    {
        if (e.Payload is not { } payload)
        {
            return [];
        }
        if (payload.TryGetProperty("lines", out var lines))
        {
            return lines.EnumerateArray().Select(l => l.GetString() ?? "");
        }
        return payload.TryGetProperty("message", out var message) ? [message.GetString() ?? ""] : [];
    }

    [GeneratedRegex(@"(?i)(\berror\b|failed to (compile|resolve|load|parse)|⨯|is not defined|unexpected token)")]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"(?i)(hmr update|page reload|compiled|fast refresh|✓)")]
    private static partial Regex UpdateLine();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
