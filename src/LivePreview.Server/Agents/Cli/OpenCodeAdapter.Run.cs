using System.Net;
using LivePreview.Sandboxes;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using static LivePreview.Agents.Cli.CliJson;

namespace LivePreview.Agents.Cli;

public sealed partial class OpenCodeAdapter
{
    /// <summary>One turn against one <c>opencode serve</c>: the event stream is read on its own task and handed over a channel.</summary>
    /// <remarks>
    /// OpenCode's server runs in the sandbox and is hostile: it is reached through <see cref="SandboxHttpClient.CreateHandler"/>
    /// (pinned to <paramref name="serverAddress"/> and the port the process printed; no redirects, proxy or cookies), and
    /// its error bodies are read bounded.
    /// </remarks>
    private sealed class Run(OpenCodeAdapter adapter, AgentTurn turn, IAgentProcess process, string model, string WorkingDirectory, string serverAddress) : IDisposable
    {
        private const int MaxBodyBytes = 64 * 1024;
        private HttpClient Http { get; set; } = null!;
        private static readonly string[] FileTools = ["write", "edit", "patch", "multiedit"];
        private readonly Channel<AgentEvent> _events = Channel.CreateUnbounded<AgentEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _reading = new();
        private readonly HashSet<string> _assistantMessages = new(StringComparer.Ordinal);
        private readonly HashSet<string> _textParts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Tool, string? Path)> _calledTools = new(StringComparer.Ordinal);
        private readonly HashSet<string> _completedTools = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long? In, long? Out)> _tokens = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
        private string? _sessionId;
        private Uri? _server;
        private volatile bool _interrupted;

        public async IAsyncEnumerable<AgentEvent> RunAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var pump = Task.Run(() => PumpAsync(cancellationToken), CancellationToken.None);
            await using (cancellationToken.Register(() => _ = InterruptAsync()))
            {
                await foreach (var e in _events.Reader.ReadAllAsync(CancellationToken.None))
                {
                    yield return e;
                }
                await pump;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        private async Task PumpAsync(CancellationToken turnToken)
        {
            try
            {
                var output = process.ReadOutputAsync(_reading.Token).GetAsyncEnumerator(_reading.Token);
                while (_server is null && await output.MoveNextAsync())
                {
                    if (ListeningPattern().Match(output.Current) is { Success: true } match
                        && int.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
                    {
                        _server = new UriBuilder(Uri.UriSchemeHttp, serverAddress, port, "/").Uri;
                        EndPoint endpoint = IPAddress.TryParse(serverAddress, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(serverAddress, port);
                        Http = new HttpClient(SandboxHttpClient.CreateHandler(endpoint, TimeSpan.FromSeconds(5)), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
                    }
                }
                if (_server is null)
                {
                    _events.Writer.TryWrite(new AgentFailed($"OpenCode exited with code {await process.Exited} before its server listened. {process.ErrorTail}".Trim()));
                    return;
                }
                // The rest of its output is not read by anyone, but must not fill the pipe.
                _ = Task.Run(async () =>
                {
                    while (await output.MoveNextAsync())
                    {
                    }
                }, CancellationToken.None);

                using var events = await Http.GetAsync(new Uri(_server, "event"), HttpCompletionOption.ResponseHeadersRead, _reading.Token);
                events.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(_reading.Token));

                _sessionId = turn.ResumeToken ?? await CreateSessionAsync(turnToken);
                _events.Writer.TryWrite(new AgentSessionState(_sessionId));
                using var prompt = await Http.PostAsJsonAsync(new Uri(_server, $"session/{_sessionId}/prompt_async"), new
                {
                    model = new { providerID = "anthropic", modelID = model },
                    parts = new[] { new { type = "text", text = turn.Prompt } },
                }, turnToken);
                if (!prompt.IsSuccessStatusCode)
                {
                    _events.Writer.TryWrite(new AgentFailed($"OpenCode refused the prompt ({(int)prompt.StatusCode}): {OneLine(await BodyAsync(prompt, CancellationToken.None))}"));
                    return;
                }
                while (await reader.ReadLineAsync(_reading.Token) is { } line)
                {
                    if (line.StartsWith("data:", StringComparison.Ordinal) && Handle(line[5..].Trim()))
                    {
                        return;
                    }
                }
                _events.Writer.TryWrite(new AgentFailed($"OpenCode closed its event stream before the turn ended. {process.ErrorTail}".Trim()));
            }
            catch (OperationCanceledException) when (_reading.IsCancellationRequested || turnToken.IsCancellationRequested)
            {
                // Interrupted: the grace ran out, or the abort came before the prompt was accepted.
            }
            catch (HttpRequestException e)
            {
                _events.Writer.TryWrite(new AgentFailed($"Could not talk to OpenCode's server: {e.Message}"));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _events.Writer.TryWrite(new AgentFailed($"OpenCode failed: {e.Message}"));
            }
            finally
            {
                await _reading.CancelAsync();
                await process.KillAsync();
                _events.Writer.TryComplete();
            }
        }

        private static async Task<string> BodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return (await BoundedReader.ReadUtf8Async(stream, MaxBodyBytes, cancellationToken)).Text;
        }

        public void Dispose()
        {
            Http?.Dispose();
        }

        private async Task<string> CreateSessionAsync(CancellationToken cancellationToken)
        {
            using var created = await Http.PostAsJsonAsync(new Uri(_server!, "session"), new { }, cancellationToken);
            created.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await BodyAsync(created, cancellationToken));
            return Str(body.RootElement, "id") is { } id && SessionIdPattern().IsMatch(id)
                ? id
                : throw new InvalidOperationException("OpenCode created a session without a valid id.");
        }

        /// <returns>True when the turn is over.</returns>
        private bool Handle(string data)
        {
            JsonElement e;
            try
            {
                using var document = JsonDocument.Parse(data);
                e = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return false;
            }
            var properties = Obj(e, "properties");
            var part = Obj(properties, "part");
            var info = Obj(properties, "info");
            var session = Str(properties, "sessionID") ?? Str(part, "sessionID") ?? Str(info, "sessionID");
            if (session != _sessionId)
            {
                return false;
            }
            switch (Str(e, "type"))
            {
                case "message.updated" when Str(info, "role") == "assistant" && Str(info, "id") is { } messageId:
                    _assistantMessages.Add(messageId);
                    var tokens = Obj(info, "tokens");
                    _tokens[messageId] = (Long(tokens, "input"), Long(tokens, "output"));
                    break;
                case "message.part.updated" when Str(part, "messageID") is { } messageId && _assistantMessages.Contains(messageId):
                    OnPart(part);
                    break;
                case "message.part.delta" when Str(properties, "partID") is { } partId && _textParts.Contains(partId)
                                              && Str(properties, "field") == "text" && Str(properties, "delta") is { Length: > 0 } delta:
                    _events.Writer.TryWrite(new AgentTextDelta(delta));
                    break;
                case "permission.asked" when Str(properties, "id") is { } requestId:
                    // On its own task: the event stream must keep flowing while the person decides.
                    _ = Task.Run(() => AnswerPermissionAsync(requestId, properties), CancellationToken.None);
                    break;
                case "session.error":
                    if (_interrupted)
                    {
                        break;
                    }
                    var error = Obj(properties, "error");
                    _events.Writer.TryWrite(new AgentFailed($"OpenCode ended the turn with {Str(Obj(error, "data"), "message") ?? Str(error, "name") ?? "an error"}"));
                    return true;
                case "session.idle":
                    if (!_interrupted)
                    {
                        long? input = _tokens.Values.Any(t => t.In is not null) ? _tokens.Values.Sum(t => t.In ?? 0) : null;
                        long? output = _tokens.Values.Any(t => t.Out is not null) ? _tokens.Values.Sum(t => t.Out ?? 0) : null;
                        CliAgentLog.TurnCompleted(adapter.Logger, AgentName, turn.SandboxId, input, output);
                        _events.Writer.TryWrite(new AgentTurnCompleted(_texts.Values.LastOrDefault(), input, output));
                    }
                    return true;
            }
            return false;
        }

        private void OnPart(JsonElement part)
        {
            var partId = Str(part, "id") ?? "";
            switch (Str(part, "type"))
            {
                case "text":
                    _textParts.Add(partId);
                    if (Str(part, "text") is { Length: > 0 } text)
                    {
                        _texts[partId] = text;
                    }
                    break;
                case "tool" when Str(part, "tool") is { } tool && (Str(part, "callID") ?? partId) is { Length: > 0 } callId:
                    var state = Obj(part, "state");
                    var status = Str(state, "status");
                    var input = Obj(state, "input");
                    if (status is "running" or "completed" or "error" && !_calledTools.ContainsKey(callId))
                    {
                        var path = WorkspacePath(WorkingDirectory, Str(input, "filePath"));
                        _calledTools[callId] = (tool, path);
                        _events.Writer.TryWrite(new AgentToolCalled(tool, adapter.Shorten(input), path));
                    }
                    if (status is "completed" or "error" && _completedTools.Add(callId))
                    {
                        var call = _calledTools[callId];
                        var summary = status == "error" ? OneLine(Str(state, "error"))
                            : call.Path is not null && FileTools.Contains(tool) ? $"{(tool == "write" ? "Wrote" : "Edited")} {call.Path}"
                            : OneLine(Str(state, "title") ?? Str(state, "output"));
                        _events.Writer.TryWrite(new AgentToolCompleted(tool, status == "completed", summary, call.Path));
                    }
                    break;
            }
        }

        /// <summary>
        /// Sends OpenCode's permission prompt to the QUESTION flow and its answer back: "once" when allowed, else "reject"
        /// with the answer as the message the model is told. Nobody to ask: rejected, saying so.
        /// </summary>
        private async Task AnswerPermissionAsync(string requestId, JsonElement request)
        {
            try
            {
                var permission = Str(request, "permission") ?? "a tool";
                var patterns = request.TryGetProperty("patterns", out var p) && p.ValueKind == JsonValueKind.Array
                    ? string.Join(", ", p.EnumerateArray().Select(x => x.GetString()).OfType<string>())
                    : "";
                string reply, message;
                if (adapter.Questions is null)
                {
                    (reply, message) = ("reject", "Nobody can answer permission prompts in this session; carry on without it.");
                }
                else
                {
                    var question = $"OpenCode asks to use {permission}: {OneLine(patterns)}".TrimEnd(' ', ':');
                    CliAgentLog.Asking(adapter.Logger, AgentName, turn.SandboxId, question);
                    var answer = await adapter.Questions.AskAsync(
                        new AgentQuestion(turn.SandboxId, turn.SessionId, AgentName, question, [ClaudeCodeAdapter.AllowChoice, ClaudeCodeAdapter.DenyChoice], IsPermission: true),
                        _reading.Token);
                    (reply, message) = string.Equals(answer.Trim(), ClaudeCodeAdapter.AllowChoice, StringComparison.OrdinalIgnoreCase)
                        ? ("once", "")
                        : ("reject", $"The user did not allow this ({OneLine(answer)}).");
                }
                using var replied = await Http.PostAsJsonAsync(new Uri(_server!, $"permission/{Uri.EscapeDataString(requestId)}/reply"),
                    message.Length == 0 ? new { reply } : (object)new { reply, message }, _reading.Token);
                if (!replied.IsSuccessStatusCode)
                {
                    OpenCodePermissionLog.ReplyFailed(adapter.Logger, AgentName, turn.SandboxId, (int)replied.StatusCode);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                // The turn ended (interrupt, exit) while the question was open: nothing is waiting for the reply.
            }
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
            if (_server is null || _sessionId is null)
            {
                await _reading.CancelAsync();
                return;
            }
            try
            {
                using var aborted = await Http.PostAsync(new Uri(_server, $"session/{_sessionId}/abort"), null, _reading.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                await _reading.CancelAsync();
            }
        }
    }
}

/// <summary>Log messages of OpenCode's permission prompts (event ids 2260–2269).</summary>
internal static partial class OpenCodePermissionLog
{
    [LoggerMessage(EventId = 2260, Level = LogLevel.Warning, Message = "{Agent} in sandbox {SandboxId} refused the answer to its permission prompt ({Status})")]
    public static partial void ReplyFailed(ILogger logger, string agent, string sandboxId, int status);
}
