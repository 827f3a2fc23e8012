using System.Runtime.CompilerServices;

namespace LivePreview.Agents;

/// <summary>Keeps the promise of <see cref="IAgentAdapter.RunTurnAsync"/>: failures arrive as <see cref="AgentFailed"/>, not exceptions.</summary>
internal static class AgentEventStream
{
    public static async IAsyncEnumerable<AgentEvent> ReportFailures(
        IAsyncEnumerable<AgentEvent> events, AgentTurn turn, string agent, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            AgentEvent current;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }
                current = enumerator.Current;
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                AgentLog.TurnFailed(logger, agent, turn.SandboxId, e);
                current = new AgentFailed(Describe(agent, e));
            }
            yield return current;
            if (current is AgentFailed)
            {
                yield break;
            }
        }
    }

    private static string Describe(string agent, Exception e) => e switch
    {
        OperationCanceledException => $"The {agent} model did not answer in time (LivePreview:Agents:RequestTimeout).",
        HttpRequestException => $"Could not reach the {agent} model: {e.Message}",
        _ => $"The {agent} agent failed: {e.Message}",
    };
}
