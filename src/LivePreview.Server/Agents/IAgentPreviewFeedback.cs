namespace LivePreview.Agents;

/// <summary>
/// What the browser saw of an agent's edit, as text for the agent's tool result: "Preview updated in N ms", the page's
/// errors, or that no browser has the preview open. Implemented by Proxy/PaintFeedback, which waits (bounded) for the
/// preview's own report; absent in hosts without previews, where tool results say nothing of the preview.
/// </summary>
public interface IAgentPreviewFeedback
{
    /// <param name="editSequence">The sequence of the edit's FILE_CHANGED / FILE_DELETED.</param>
    /// <returns>The text to add to the tool result, or null when nothing is to be said (switched off).</returns>
    Task<string?> AfterEditAsync(string sandboxId, long editSequence, CancellationToken cancellationToken);
}
