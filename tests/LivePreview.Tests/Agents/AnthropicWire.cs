using Microsoft.AspNetCore.Http;
using static LivePreview.Tests.Agents.ServerSentEvents;

namespace LivePreview.Tests.Agents;

/// <summary>
/// Streamed answers of the Anthropic Messages API (POST /v1/messages, stream: true): message_start,
/// per content block content_block_start / content_block_delta (text_delta or input_json_delta) /
/// content_block_stop, then message_delta with the stop_reason and message_stop.
/// </summary>
internal static class AnthropicWire
{
    public sealed record ToolUse(string Id, string Name, object Input);

    /// <summary>Some text, then tool calls, stop_reason "tool_use". <paramref name="afterToolBlocks"/> runs before message_delta (the model still "talking").</summary>
    public static Func<HttpContext, Task> ToolUses(string? text, IReadOnlyList<ToolUse> tools, Func<Task>? afterToolBlocks = null) => async context =>
    {
        Start(context);
        await MessageStartAsync(context);
        var index = 0;
        if (text is not null)
        {
            await TextBlockAsync(context, index++, text);
        }
        foreach (var tool in tools)
        {
            await ToolBlockAsync(context, index++, tool);
        }
        if (afterToolBlocks is not null)
        {
            await afterToolBlocks();
        }
        await MessageEndAsync(context, "tool_use");
    };

    public static Func<HttpContext, Task> ToolUses(string? text, params ToolUse[] tools) => ToolUses(text, tools, null);

    /// <summary>A text answer that ends the turn (stop_reason "end_turn").</summary>
    public static Func<HttpContext, Task> Text(string text) => async context =>
    {
        Start(context);
        await MessageStartAsync(context);
        await TextBlockAsync(context, 0, text);
        await MessageEndAsync(context, "end_turn");
    };

    /// <summary>Starts a text answer, then never finishes it (until the client goes away).</summary>
    public static Func<HttpContext, Task> Stalls(string text) => async context =>
    {
        Start(context);
        await MessageStartAsync(context);
        await WriteAsync(context, "content_block_start", Json(new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } }));
        await WriteAsync(context, "content_block_delta", Json(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text } }));
        await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
    };

    /// <summary>Starts a text answer and holds the stream open until the client goes away (an interrupt mid-turn).</summary>
    public static Func<HttpContext, Task> Holds(string text) => async context =>
    {
        Start(context);
        await MessageStartAsync(context);
        await WriteAsync(context, "content_block_start", Json(new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } }));
        await WriteAsync(context, "content_block_delta", Json(new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text } }));
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
    };

    public static Func<HttpContext, Task> Error(int status, string type, string message) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Json(new { type = "error", error = new { type, message } }));
    };

    private static Task MessageStartAsync(HttpContext context) =>
        WriteAsync(context, "message_start", Json(new
        {
            type = "message_start",
            message = new
            {
                id = "msg_" + Guid.NewGuid().ToString("N")[..12],
                type = "message",
                role = "assistant",
                model = "claude-test",
                content = Array.Empty<object>(),
                stop_reason = (string?)null,
                stop_sequence = (string?)null,
                usage = new { input_tokens = 120, output_tokens = 1 },
            },
        }));

    private static async Task TextBlockAsync(HttpContext context, int index, string text)
    {
        await WriteAsync(context, "content_block_start", Json(new { type = "content_block_start", index, content_block = new { type = "text", text = "" } }));
        await WriteAsync(context, "ping", Json(new { type = "ping" }));
        foreach (var piece in Pieces(text))
        {
            await WriteAsync(context, "content_block_delta", Json(new { type = "content_block_delta", index, delta = new { type = "text_delta", text = piece } }));
        }
        await WriteAsync(context, "content_block_stop", Json(new { type = "content_block_stop", index }));
    }

    private static async Task ToolBlockAsync(HttpContext context, int index, ToolUse tool)
    {
        await WriteAsync(context, "content_block_start", Json(new
        {
            type = "content_block_start",
            index,
            content_block = new { type = "tool_use", id = tool.Id, name = tool.Name, input = new { } },
        }));
        foreach (var piece in Pieces(Json(tool.Input)))
        {
            await WriteAsync(context, "content_block_delta", Json(new { type = "content_block_delta", index, delta = new { type = "input_json_delta", partial_json = piece } }));
        }
        await WriteAsync(context, "content_block_stop", Json(new { type = "content_block_stop", index }));
    }

    private static async Task MessageEndAsync(HttpContext context, string stopReason)
    {
        await WriteAsync(context, "message_delta", Json(new
        {
            type = "message_delta",
            delta = new { stop_reason = stopReason, stop_sequence = (string?)null },
            usage = new { output_tokens = 42 },
        }));
        await WriteAsync(context, "message_stop", Json(new { type = "message_stop" }));
    }

    /// <summary>Splits like a real stream does: anywhere, even inside a JSON string.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        var size = Math.Max(1, text.Length / 3 + 1);
        for (var at = 0; at < text.Length; at += size)
        {
            yield return text.Substring(at, Math.Min(size, text.Length - at));
        }
    }
}
