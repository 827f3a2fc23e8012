using System.Text;
using System.Text.Json;

namespace LivePreview.Gateway;

/// <summary>
/// Reads token usage out of a model response as it streams past, without holding it: line by line for
/// server-sent events (Anthropic <c>message_start</c> / <c>message_delta</c>, OpenAI's last chunk with
/// <c>usage</c>), or the bounded body of a plain JSON response. Lines longer than the bound are skipped.
/// </summary>
internal sealed class ModelUsageReader(bool anthropic, int maxLineChars = 1024 * 1024)
{
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _line = new();
    private bool _overlong;

    public string? Model { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public bool SawUsage { get; private set; }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[1024];
        while (bytes.Length > 0)
        {
            var take = Math.Min(bytes.Length, 1024);
            _decoder.Convert(bytes[..take], chars, flush: false, out var used, out var produced, out _);
            bytes = bytes[used..];
            foreach (var c in chars[..produced])
            {
                if (c == '\n')
                {
                    EndLine();
                }
                else if (_line.Length < maxLineChars)
                {
                    _line.Append(c);
                }
                else
                {
                    _overlong = true;
                }
            }
        }
    }

    /// <summary>The response ended: the last line (a plain JSON body has no newline at all).</summary>
    public void Complete() => EndLine();

    private void EndLine()
    {
        var line = _line.ToString().Trim();
        var overlong = _overlong;
        _line.Clear();
        _overlong = false;
        if (overlong || line.Length == 0)
        {
            return;
        }
        if (line.StartsWith("data:", StringComparison.Ordinal))
        {
            line = line[5..].Trim();
        }
        if (!line.StartsWith('{'))
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            Read(document.RootElement);
        }
        catch (JsonException)
        {
            // Not one JSON object on this line (a pretty-printed body): nothing to meter from it.
        }
    }

    private void Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : root;
        if (message.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
        {
            Model ??= model.GetString();
        }
        if (!message.TryGetProperty("usage", out var usage) && !root.TryGetProperty("usage", out usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        SawUsage = true;
        if (anthropic)
        {
            // message_start carries the input; message_delta the cumulative output (and, lately, the input again).
            var input = Number(usage, "input_tokens") + Number(usage, "cache_creation_input_tokens") + Number(usage, "cache_read_input_tokens");
            InputTokens = Math.Max(InputTokens, input);
            OutputTokens = Math.Max(OutputTokens, Number(usage, "output_tokens"));
        }
        else
        {
            InputTokens = Math.Max(InputTokens, Number(usage, "prompt_tokens"));
            OutputTokens = Math.Max(OutputTokens, Number(usage, "completion_tokens"));
        }
    }

    private static long Number(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
