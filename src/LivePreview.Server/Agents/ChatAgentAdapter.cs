using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace LivePreview.Agents;

/// <summary>
/// A chat model with tools, whichever provider serves it. The function-invocation loop is our own
/// rather than <see cref="FunctionInvokingChatClient"/>'s so that each tool call runs the moment it
/// arrives in the stream, with an event before and after it: a file is on disk (and HMR under way)
/// while the model is still talking.
/// </summary>
internal sealed class ChatAgentAdapter(IChatModelSource source, IOptionsMonitor<AgentOptions> options, ILogger<ChatAgentAdapter> logger) : IAgentAdapter
{
    public string Name => source.Name;

    public AgentAvailability CheckAvailability(string? model) => source.CheckAvailability(model);

    public IAsyncEnumerable<AgentEvent> RunTurnAsync(AgentTurn turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return AgentEventStream.ReportFailures(RunAsync(turn, cancellationToken), turn, Name, logger, cancellationToken);
    }

    private async IAsyncEnumerable<AgentEvent> RunAsync(AgentTurn turn, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var availability = CheckAvailability(turn.Model);
        if (!availability.Available)
        {
            yield return new AgentFailed(availability.Problem ?? $"The {Name} agent is not configured.");
            yield break;
        }
        var settings = options.CurrentValue;
        var model = Setting.NullIfBlank(turn.Model) ?? source.DefaultModel!;
        AgentLog.TurnStarted(logger, Name, turn.SandboxId, model);
        var conversation = new Conversation(source.GetClient(model), new AgentTools(turn.Workspace, settings, AskUserOf(turn)), AgentPrompt.Messages(turn), new ChatOptions
        {
            ModelId = model,
            MaxOutputTokens = settings.MaxOutputTokens,
            ToolMode = ChatToolMode.Auto,
        });
        for (var round = 1; round <= settings.MaxToolRounds; round++)
        {
            await foreach (var e in conversation.NextRoundAsync(cancellationToken))
            {
                if (e is AgentToolCompleted done)
                {
                    AgentLog.ToolCompleted(logger, done.Tool, turn.SandboxId, done.Summary);
                }
                yield return e;
            }
            if (conversation.Finished)
            {
                AgentLog.TurnCompleted(logger, Name, turn.SandboxId, round, conversation.InputTokens, conversation.OutputTokens);
                yield return new AgentTurnCompleted(conversation.LastText, conversation.InputTokens, conversation.OutputTokens);
                yield break;
            }
        }
        AgentLog.TooManyRounds(logger, Name, turn.SandboxId, settings.MaxToolRounds);
        yield return new AgentFailed(
            $"The agent made {settings.MaxToolRounds} rounds of tool calls without finishing (LivePreview:Agents:MaxToolRounds); its edits so far are kept.");
    }

    /// <summary>The turn's questions as the <c>ask_user</c> tool's way to the user; null (no such tool) when the turn has none.</summary>
    private AskUser? AskUserOf(AgentTurn turn) => turn.Questions is not { } questions ? null
        : (question, choices, ct) => questions.AskAsync(new Cli.AgentQuestion(turn.SandboxId, turn.SessionId, Name, question, choices, IsPermission: false), ct);

    /// <summary>The messages of one turn and what the model has said so far.</summary>
    private sealed class Conversation(IChatClient client, AgentTools tools, List<ChatMessage> messages, ChatOptions chatOptions)
    {
        private readonly ChatOptions _options = WithTools(chatOptions, tools);

        /// <summary>The model answered without calling a tool.</summary>
        public bool Finished { get; private set; }

        public string? LastText { get; private set; }

        public long? InputTokens { get; private set; }

        public long? OutputTokens { get; private set; }

        /// <summary>
        /// One request: text as it streams, each tool call run as soon as it is complete — except a call that waits for
        /// the user, which runs with the calls after it once the response is read (<see cref="AgentTools.WaitsForUser"/>).
        /// </summary>
        public async IAsyncEnumerable<AgentEvent> NextRoundAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var updates = new List<ChatResponseUpdate>();
            var results = new List<AIContent>();
            var deferred = new List<FunctionCallContent>();
            await foreach (var update in client.GetStreamingResponseAsync(messages, _options, cancellationToken))
            {
                updates.Add(update);
                CountUsage(update);
                if (update.Text is { Length: > 0 } text)
                {
                    yield return new AgentTextDelta(text);
                }
                foreach (var call in update.Contents.OfType<FunctionCallContent>().Where(c => !c.InformationalOnly).ToList())
                {
                    if (deferred.Count > 0 || AgentTools.WaitsForUser(call.Name))
                    {
                        deferred.Add(call);
                        continue;
                    }
                    await foreach (var e in RunAsync(call, results, cancellationToken))
                    {
                        yield return e;
                    }
                }
            }
            foreach (var call in deferred)
            {
                await foreach (var e in RunAsync(call, results, cancellationToken))
                {
                    yield return e;
                }
            }
            messages.AddMessages(updates);
            LastText = updates.ToChatResponse().Text is { Length: > 0 } said ? said.Trim() : LastText;
            Finished = results.Count == 0;
            if (!Finished)
            {
                messages.Add(new ChatMessage(ChatRole.Tool, results));
            }
        }

        private async IAsyncEnumerable<AgentEvent> RunAsync(FunctionCallContent call, List<AIContent> results, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return tools.Describe(call);
            var outcome = await tools.InvokeAsync(call, cancellationToken);
            results.Add(outcome.Result);
            yield return outcome.Completed;
        }

        private void CountUsage(ChatResponseUpdate update)
        {
            foreach (var usage in update.Contents.OfType<UsageContent>())
            {
                InputTokens = Add(InputTokens, usage.Details.InputTokenCount);
                OutputTokens = Add(OutputTokens, usage.Details.OutputTokenCount);
            }
        }

        private static long? Add(long? total, long? more) => more is null ? total : (total ?? 0) + more;

        private static ChatOptions WithTools(ChatOptions options, AgentTools tools)
        {
            options.Tools = [.. tools.Functions];
            return options;
        }
    }
}
