using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>
/// Plays a recorded turn (<see cref="ReplayTranscript"/>) for demos, tests and benchmarks: no model,
/// same edit path. Its tool calls go through the very <see cref="AgentTools"/> a chat model uses, so
/// files are validated, written and announced exactly as in a real turn. Never the silent default.
/// </summary>
internal sealed class ReplayAgentAdapter(
    ReplayTranscripts transcripts, IOptionsMonitor<AgentOptions> options, TimeProvider time, ILogger<ReplayAgentAdapter> logger) : IAgentAdapter
{
    public const string AgentName = "replay";

    public string Name => AgentName;

    public AgentAvailability CheckAvailability(string? model) =>
        transcripts.Locate() is { Problem: { } problem } ? AgentAvailability.Missing(problem) : AgentAvailability.Ready;

    public IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return AgentEventStream.ReportFailures(RunAsync(turn, cancellationToken), turn, Name, logger, cancellationToken);
    }

    private async IAsyncEnumerable<AgentEvent> RunAsync(AgentTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (directory, problem) = transcripts.Locate();
        if (directory is null)
        {
            yield return new AgentFailed(problem ?? "There is no replay folder.");
            yield break;
        }
        var transcript = turn.Feedback.Count > 0 ? null : transcripts.Find(directory, turn.Framework, turn.Prompt);
        if (transcript is null)
        {
            yield return new AgentFailed(Unanswerable(directory, turn));
            yield break;
        }
        AgentLog.TurnStarted(logger, Name, turn.SandboxId, $"recording \"{transcript.Prompt}\"");
        var settings = options.CurrentValue;
        // Nobody reads a replayed call's result: waiting for the browser's word on each edit would only slow the replay.
        var tools = new AgentTools(turn.Workspace, settings, tellPreview: false);
        for (var i = 0; i < transcript.Steps.Count; i++)
        {
            var step = transcript.Steps[i];
            if (step.DelayMs is > 0 and var delay && settings.ReplayDelayScale > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delay * settings.ReplayDelayScale), time, cancellationToken);
            }
            if (!string.IsNullOrEmpty(step.Text))
            {
                yield return new AgentTextDelta(step.Text);
            }
            if (step.Tool is not { Length: > 0 } tool)
            {
                continue;
            }
            var call = new FunctionCallContent($"replay-{i + 1}", tool, Arguments(step.Arguments));
            yield return tools.Describe(call);
            var outcome = await tools.InvokeAsync(call, cancellationToken);
            yield return outcome.Completed;
            if (!outcome.Completed.Succeeded)
            {
                yield return new AgentFailed(
                    $"Step {i + 1} of the recording ({tool}) failed: {outcome.Completed.Summary} The files no longer match what the recording expects.");
                yield break;
            }
        }
        AgentLog.TurnCompleted(logger, Name, turn.SandboxId, 1, null, null);
        yield return new AgentTurnCompleted(transcript.Summary ?? string.Concat(transcript.Steps.Select(s => s.Text)), null, null);
    }

    private string Unanswerable(string directory, AgentTurn turn)
    {
        if (turn.Feedback.Count > 0)
        {
            return $"The replay agent plays recordings and cannot fix what the preview reports: {turn.Feedback[0]}";
        }
        var recorded = transcripts.Load(directory, turn.Framework).Select(t => $"\"{t.Prompt}\"").ToList();
        return recorded.Count == 0
            ? $"There are no recordings for {turn.Framework} in {directory}."
            : $"No recording for {turn.Framework} matches this prompt. Recorded prompts: {string.Join(", ", recorded)}.";
    }

    private static Dictionary<string, object?> Arguments(JsonElement? arguments) =>
        arguments is { ValueKind: JsonValueKind.Object } json
            ? json.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
            : [];
}
