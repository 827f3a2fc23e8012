using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Workspaces;
using Microsoft.Extensions.AI;

namespace LivePreview.Agents;

/// <summary>
/// Running one tool call for any adapter (chat model or replay): the events around it, and the
/// result for the model. Mistakes of the model become an "Error: …" result it can correct itself
/// from; only a broken sandbox escapes as an exception.
/// </summary>
internal sealed partial class AgentTools
{
    /// <summary>The tool call as an event, before it runs.</summary>
    public AgentToolCalled Describe(FunctionCallContent call) =>
        new(call.Name, ArgumentsJson(call.Arguments), PathOf(call.Arguments));

    public async Task<ToolCallOutcome> InvokeAsync(FunctionCallContent call, CancellationToken cancellationToken)
    {
        var path = PathOf(call.Arguments);
        try
        {
            var function = Functions.FirstOrDefault(f => f.Name == call.Name)
                ?? throw new AgentToolException($"There is no tool '{call.Name}'. The tools are {string.Join(", ", Functions.Select(f => f.Name))}.");
            if (call.Exception is not null)
            {
                throw new AgentToolException($"The arguments of {call.Name} were not valid JSON ({call.Exception.Message}). Call it again with a JSON object of its parameters.");
            }
            var result = (ToolResult)(await function.InvokeAsync(new AIFunctionArguments(call.Arguments), cancellationToken))!;
            return new ToolCallOutcome(new AgentToolCompleted(call.Name, true, result.Summary, path), new FunctionResultContent(call.CallId, result.ForModel));
        }
        catch (Exception e) when (e is AgentToolException or ArgumentException or JsonException)
        {
            var message = e is AgentToolException ? e.Message : $"Invalid arguments for {call.Name}: {e.Message}";
            return new ToolCallOutcome(new AgentToolCompleted(call.Name, false, message, path), new FunctionResultContent(call.CallId, "Error: " + message));
        }
    }

    /// <summary>The normalized path the call names, or null when it names none or an invalid one.</summary>
    private static string? PathOf(IDictionary<string, object?>? arguments)
    {
        var raw = arguments?.TryGetValue("path", out var value) == true ? AsString(value) : null;
        try
        {
            return raw is null ? null : WorkspacePath.NormalizeFile(raw);
        }
        catch (InvalidWorkspacePathException)
        {
            return null;
        }
    }

    private string ArgumentsJson(IDictionary<string, object?>? arguments)
    {
        var shortened = (arguments ?? new Dictionary<string, object?>()).ToDictionary(a => a.Key, a => Shorten(a.Value));
        return JsonSerializer.Serialize(shortened, AIJsonUtilities.DefaultOptions);
    }

    private object? Shorten(object? value) =>
        AsString(value) is { } text && text.Length > _maxEventArgumentChars
            ? $"{text[.._maxEventArgumentChars]}… ({text.Length - _maxEventArgumentChars} more characters)"
            : value;

    private static string? AsString(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };
}

/// <param name="Completed">The event for people.</param>
/// <param name="Result">The result for the model, to send back with the next request.</param>
internal sealed record ToolCallOutcome(AgentToolCompleted Completed, FunctionResultContent Result);
