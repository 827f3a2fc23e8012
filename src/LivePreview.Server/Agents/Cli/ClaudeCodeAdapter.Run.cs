using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace LivePreview.Agents.Cli;

public sealed partial class ClaudeCodeAdapter
{
    /// <summary>
    /// One turn of one process: reads stdout on its own task (so control requests are answered while the
    /// consumer handles events) and hands events over a channel. Everything written to stdin goes through
    /// <see cref="WriteAsync"/>, one JSON line at a time.
    /// </summary>
    private sealed class Run(ClaudeCodeAdapter adapter, AgentTurn turn, AgentSandboxContext context, IAgentProcess process)
    {
        private static readonly string[] FileTools = ["Write", "Edit", "MultiEdit", "NotebookEdit"];
        private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly SemaphoreSlim _writing = new(1, 1);
        private readonly Dictionary<string, (string Tool, string? Path)> _toolCalls = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, CancellationTokenSource> _pendingQuestions = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _reading = new();
        private string? _sessionId;
        private volatile bool _interrupted;
        private bool _stdinClosed;

        public async IAsyncEnumerable<AgentEvent> RunAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await WriteAsync(UserMessage(turn.Prompt), CancellationToken.None);
            var pump = Task.Run(() => PumpAsync(cancellationToken), CancellationToken.None);
            await using (cancellationToken.Register(() => _ = InterruptAsync()))
            {
                await foreach (var e in _events.Reader.ReadAllAsync(CancellationToken.None))
                {
                    yield return e;
                }
                await pump;
            }
            foreach (var pending in _pendingQuestions.Values)
            {
                await pending.CancelAsync();
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        private async Task PumpAsync(CancellationToken turnToken)
        {
            var finished = false;
            try
            {
                await foreach (var line in process.ReadOutputAsync(_reading.Token))
                {
                    if (await HandleLineAsync(line, turnToken))
                    {
                        finished = true;
                        break;
                    }
                }
                await CloseInputAsync();
                if (!finished && !_interrupted)
                {
                    var code = await process.Exited;
                    _events.Writer.TryWrite(new AgentFailed(
                        $"Claude Code exited with code {code} before it finished the turn. {process.ErrorTail}".Trim()));
                }
            }
            catch (OperationCanceledException) when (_reading.IsCancellationRequested)
            {
                // The interrupt grace ran out: the process is killed below.
            }
            catch (Exception e)
            {
                _events.Writer.TryWrite(new AgentFailed($"Reading Claude Code's output failed: {e.Message}"));
            }
            finally
            {
                if (!finished || _interrupted)
                {
                    await process.KillAsync();
                }
                _events.Writer.TryComplete();
            }
        }

        /// <returns>True when the turn is over (its result line arrived).</returns>
        private async Task<bool> HandleLineAsync(string line, CancellationToken turnToken)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return false;
            }
            JsonElement message;
            try
            {
                using var document = JsonDocument.Parse(line);
                message = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                CliAgentLog.UnparsedLine(adapter.Logger, AgentName, turn.SandboxId, line.Length > 200 ? line[..200] : line);
                return false;
            }
            if (message.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            switch (Str(message, "type"))
            {
                case "system" when Str(message, "subtype") == "init":
                    if (Str(message, "session_id") is { } id && id != _sessionId)
                    {
                        _sessionId = id;
                        _events.Writer.TryWrite(new AgentSessionState(id));
                    }
                    break;
                case "assistant":
                    OnAssistant(message);
                    break;
                case "user":
                    OnToolResults(message);
                    break;
                case "control_request":
                    OnControlRequest(message, turnToken);
                    break;
                case "control_cancel_request":
                    if (Str(message, "request_id") is { } cancelled && _pendingQuestions.TryRemove(cancelled, out var pending))
                    {
                        await pending.CancelAsync();
                    }
                    break;
                case "result":
                    OnResult(message);
                    await CloseInputAsync();
                    return true;
            }
            return false;
        }

        private void OnAssistant(JsonElement message)
        {
            if (!message.TryGetProperty("message", out var body) || !body.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                return;
            }
            // The CLI's own stand-in for a failed model call ("API Error: …"); the result line reports it.
            if (Str(body, "model") == "<synthetic>")
            {
                return;
            }
            foreach (var block in content.EnumerateArray())
            {
                switch (Str(block, "type"))
                {
                    case "text" when Str(block, "text") is { Length: > 0 } text:
                        _events.Writer.TryWrite(new AgentTextDelta(text));
                        break;
                    case "tool_use" when Str(block, "id") is { } id && Str(block, "name") is { } name:
                        var input = block.TryGetProperty("input", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
                        var path = input.ValueKind == JsonValueKind.Object ? WorkspacePath(Str(input, "file_path") ?? Str(input, "notebook_path")) : null;
                        _toolCalls[id] = (name, path);
                        _events.Writer.TryWrite(new AgentToolCalled(name, input.ValueKind == JsonValueKind.Object ? adapter.Shorten(input) : "{}", path));
                        break;
                }
            }
        }

        private void OnToolResults(JsonElement message)
        {
            if (!message.TryGetProperty("message", out var body) || !body.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                return;
            }
            foreach (var block in content.EnumerateArray())
            {
                if (Str(block, "type") != "tool_result" || Str(block, "tool_use_id") is not { } id || !_toolCalls.Remove(id, out var call))
                {
                    continue;
                }
                var failed = block.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True;
                var text = ResultText(block);
                var summary = failed ? OneLine(text)
                    : call.Path is not null && FileTools.Contains(call.Tool) ? $"{(call.Tool == "Write" ? "Wrote" : "Edited")} {call.Path}"
                    : OneLine(text);
                _events.Writer.TryWrite(new AgentToolCompleted(call.Tool, !failed, summary, call.Path));
            }
        }

        private void OnResult(JsonElement message)
        {
            if (_interrupted)
            {
                return;
            }
            long? input = null, output = null;
            if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                input = usage.TryGetProperty("input_tokens", out var x) && x.TryGetInt64(out var xi) ? xi : null;
                output = usage.TryGetProperty("output_tokens", out var y) && y.TryGetInt64(out var yi) ? yi : null;
            }
            var isError = message.TryGetProperty("is_error", out var err) && err.ValueKind == JsonValueKind.True;
            if (isError || Str(message, "subtype") is { } subtype && subtype != "success")
            {
                var errors = message.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array
                    ? string.Join("; ", list.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()))
                    : null;
                var why = !string.IsNullOrWhiteSpace(errors) ? errors : Str(message, "result") ?? Str(message, "subtype") ?? "an error";
                _events.Writer.TryWrite(new AgentFailed($"Claude Code ended the turn with {why}"));
                return;
            }
            CliAgentLog.TurnCompleted(adapter.Logger, AgentName, turn.SandboxId, input, output);
            _events.Writer.TryWrite(new AgentTurnCompleted(Str(message, "result"), input, output));
        }

        /// <summary>Permission prompts and AskUserQuestion: asked on their own task so the output keeps flowing.</summary>
        private void OnControlRequest(JsonElement message, CancellationToken turnToken)
        {
            if (Str(message, "request_id") is not { } requestId || !message.TryGetProperty("request", out var request))
            {
                return;
            }
            if (Str(request, "subtype") != "can_use_tool")
            {
                CliAgentLog.UnsupportedControlRequest(adapter.Logger, AgentName, turn.SandboxId, Str(request, "subtype") ?? "(none)");
                _ = WriteAsync(ControlError(requestId, "LivePreview does not support this control request."), CancellationToken.None);
                return;
            }
            var cts = CancellationTokenSource.CreateLinkedTokenSource(turnToken);
            _pendingQuestions[requestId] = cts;
            _ = Task.Run(async () =>
            {
                JsonObject response;
                try
                {
                    response = await DecideAsync(request, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e)
                {
                    CliAgentLog.QuestionFailed(adapter.Logger, AgentName, turn.SandboxId, e);
                    response = Deny("The question could not be put to the user.");
                }
                finally
                {
                    _pendingQuestions.TryRemove(requestId, out _);
                    cts.Dispose();
                }
                await WriteAsync(ControlSuccess(requestId, response), CancellationToken.None);
            }, CancellationToken.None);
        }

        private async Task<JsonObject> DecideAsync(JsonElement request, CancellationToken cancellationToken)
        {
            var tool = Str(request, "tool_name") ?? "a tool";
            var input = request.TryGetProperty("input", out var i) && i.ValueKind == JsonValueKind.Object ? i : JsonDocument.Parse("{}").RootElement;
            if (adapter.Questions is null)
            {
                return Deny("Nobody can answer questions or permission prompts in this session; carry on without it.");
            }
            if (tool == "AskUserQuestion" && input.TryGetProperty("questions", out var asked) && asked.ValueKind == JsonValueKind.Array)
            {
                var answers = new JsonObject();
                foreach (var q in asked.EnumerateArray())
                {
                    if (Str(q, "question") is not { } text)
                    {
                        continue;
                    }
                    var choices = q.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array
                        ? options.EnumerateArray().Select(o => Str(o, "label")).OfType<string>().ToList()
                        : [];
                    CliAgentLog.Asking(adapter.Logger, AgentName, turn.SandboxId, text);
                    answers[text] = await adapter.Questions.AskAsync(new AgentQuestion(turn.SandboxId, turn.SessionId, AgentName, text, choices, IsPermission: false), cancellationToken);
                }
                var updated = JsonNode.Parse(input.GetRawText())!.AsObject();
                updated["answers"] = answers;
                return Allow(updated);
            }
            var question = $"Claude Code asks to use {tool}: {OneLine(Describe(tool, input))}";
            CliAgentLog.Asking(adapter.Logger, AgentName, turn.SandboxId, question);
            var answer = await adapter.Questions.AskAsync(new AgentQuestion(turn.SandboxId, turn.SessionId, AgentName, question, [AllowChoice, DenyChoice], IsPermission: true), cancellationToken);
            return string.Equals(answer.Trim(), AllowChoice, StringComparison.OrdinalIgnoreCase)
                ? Allow(JsonNode.Parse(input.GetRawText())!.AsObject())
                : Deny($"The user did not allow this ({OneLine(answer)}).");
        }

        private async Task InterruptAsync()
        {
            if (_interrupted)
            {
                return;
            }
            _interrupted = true;
            CliAgentLog.Interrupting(adapter.Logger, AgentName, turn.SandboxId);
            _reading.CancelAfter(adapter.Cli.InterruptGrace);
            try
            {
                await WriteAsync(new JsonObject
                {
                    ["type"] = "control_request",
                    ["request_id"] = $"req_interrupt_{Guid.NewGuid():N}",
                    ["request"] = new JsonObject { ["subtype"] = "interrupt" },
                }, CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                await _reading.CancelAsync();
            }
        }

        private async Task WriteAsync(JsonObject line, CancellationToken cancellationToken)
        {
            var bytes = Encoding.UTF8.GetBytes(line.ToJsonString() + "\n");
            await _writing.WaitAsync(cancellationToken);
            try
            {
                if (_stdinClosed)
                {
                    return;
                }
                await process.Input.WriteAsync(bytes, cancellationToken);
                await process.Input.FlushAsync(cancellationToken);
            }
            finally
            {
                _writing.Release();
            }
        }

        /// <summary>Closing stdin after the result is how a <c>-p</c> process is told to exit.</summary>
        private async Task CloseInputAsync()
        {
            await _writing.WaitAsync();
            try
            {
                if (!_stdinClosed)
                {
                    _stdinClosed = true;
                    await process.Input.DisposeAsync();
                }
            }
            catch (IOException)
            {
                // It is gone already.
            }
            finally
            {
                _writing.Release();
            }
        }

        private string? WorkspacePath(string? path) => CliJson.WorkspacePath(context.WorkingDirectory, path);

        private static JsonObject UserMessage(string prompt) => new()
        {
            ["type"] = "user",
            ["session_id"] = "",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = prompt },
            ["parent_tool_use_id"] = null,
        };

        private static JsonObject Allow(JsonObject updatedInput) => new() { ["behavior"] = "allow", ["updatedInput"] = updatedInput };

        private static JsonObject Deny(string why) => new() { ["behavior"] = "deny", ["message"] = why };

        private static JsonObject ControlSuccess(string requestId, JsonObject response) => new()
        {
            ["type"] = "control_response",
            ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = response },
        };

        private static JsonObject ControlError(string requestId, string error) => new()
        {
            ["type"] = "control_response",
            ["response"] = new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = error },
        };

        private static string Describe(string tool, JsonElement input) =>
            Str(input, "command") ?? Str(input, "file_path") ?? Str(input, "url") ?? (tool.Length > 0 ? input.GetRawText() : "");

        private static string ResultText(JsonElement block)
        {
            if (!block.TryGetProperty("content", out var content))
            {
                return "";
            }
            return content.ValueKind switch
            {
                JsonValueKind.String => content.GetString() ?? "",
                JsonValueKind.Array => string.Join("\n", content.EnumerateArray().Select(c => Str(c, "text")).OfType<string>()),
                _ => "",
            };
        }

        private static string OneLine(string text) => CliJson.OneLine(text);
    }

    /// <summary>The choices of a permission prompt.</summary>
    public const string AllowChoice = "Allow";

    public const string DenyChoice = "Deny";

    private static string? Str(JsonElement element, string name) => CliJson.Str(element, name);
}
