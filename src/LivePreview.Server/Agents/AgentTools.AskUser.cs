using System.ComponentModel;

namespace LivePreview.Agents;

/// <summary>How <c>ask_user</c> reaches the person: the turn's questions, bound to its sandbox and session. Returns the answer.</summary>
/// <param name="choices">Offered answers; empty for free text.</param>
internal delegate Task<string> AskUser(string question, IReadOnlyList<string> choices, CancellationToken cancellationToken);

internal sealed partial class AgentTools
{
    /// <summary>
    /// True for a call that blocks on a person. The chat loop runs such a call (and the ones after it) only once the
    /// model's response has been read to its end: an answer can take minutes, and an unread response stream held that
    /// long would be cut by the provider or the client's request timeout.
    /// </summary>
    public static bool WaitsForUser(string toolName) => toolName == AskUserTool;

    private async Task<ToolResult> AskUserAsync(
        [Description("The question, in words the user can answer without reading the code.")] string question,
        [Description("Answers to offer, such as [\"Blue\", \"Green\"]; leave empty for a free-text answer.")] string[]? choices = null,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(question))
        {
            throw Missing("question", "what you want to know from the user");
        }
        var answer = await _askUser!(question.Trim(), choices ?? [], cancellationToken);
        return new ToolResult(answer, $"The user answered: {answer}");
    }
}
