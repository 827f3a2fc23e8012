using Microsoft.AspNetCore.Http;
using static LivePreview.Tests.Agents.ServerSentEvents;

namespace LivePreview.Tests.Agents;

/// <summary>
/// Streamed answers of OpenAI chat completions (POST {base}/chat/completions, stream: true), as
/// Ollama, vLLM and llama.cpp send them: "data: {chunk}" lines whose choices[0].delta carries
/// content or tool_calls fragments (id and name first, then argument pieces), a chunk with the
/// finish_reason, a usage chunk, then "data: [DONE]".
/// </summary>
internal static class OpenAIWire
{
    public sealed record ToolCall(string Id, string Name, object Arguments);

    public static Func<HttpContext, Task> ToolCalls(string? text, params ToolCall[] calls) => async context =>
    {
        Start(context);
        await ChunkAsync(context, new { role = "assistant", content = text ?? "" }, null);
        for (var i = 0; i < calls.Length; i++)
        {
            var index = i;
            await ChunkAsync(context, new { tool_calls = new[] { new { index, id = calls[i].Id, type = "function", function = new { name = calls[i].Name, arguments = "" } } } }, null);
            foreach (var piece in Pieces(Json(calls[i].Arguments)))
            {
                await ChunkAsync(context, new { tool_calls = new[] { new { index, function = new { arguments = piece } } } }, null);
            }
        }
        await EndAsync(context, "tool_calls");
    };

    public static Func<HttpContext, Task> Text(string text) => async context =>
    {
        Start(context);
        await ChunkAsync(context, new { role = "assistant", content = "" }, null);
        foreach (var piece in Pieces(text))
        {
            await ChunkAsync(context, new { content = piece }, null);
        }
        await EndAsync(context, "stop");
    };

    private static async Task EndAsync(HttpContext context, string finishReason)
    {
        await ChunkAsync(context, new { }, finishReason);
        await WriteAsync(context, null, Json(new
        {
            id = "chatcmpl-test", @object = "chat.completion.chunk", created = 1_700_000_000, model = "qwen-test",
            choices = Array.Empty<object>(),
            usage = new { prompt_tokens = 80, completion_tokens = 20, total_tokens = 100 },
        }));
        await WriteAsync(context, null, "[DONE]");
    }

    private static Task ChunkAsync(HttpContext context, object delta, string? finishReason) =>
        WriteAsync(context, null, Json(new
        {
            id = "chatcmpl-test",
            @object = "chat.completion.chunk",
            created = 1_700_000_000,
            model = "qwen-test",
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        }));

    private static IEnumerable<string> Pieces(string text)
    {
        var size = Math.Max(1, text.Length / 3 + 1);
        for (var at = 0; at < text.Length; at += size)
        {
            yield return text.Substring(at, Math.Min(size, text.Length - at));
        }
    }
}
