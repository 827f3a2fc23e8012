using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Gateway;
using LivePreview.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace LivePreview.Bench;

/// <summary>
/// A question's round trip: the official MCP client calls <c>ask_user</c> on the gateway's socket with the sandbox's
/// token (as an agent in the sandbox does, through its relay); a watcher on <c>WS /api/v1/events/ws</c> answers each
/// QUESTION the moment it sees it with <c>POST /api/v1/sandbox/{id}/answer</c>; the time is from the call to its tool
/// result. It is the service's own path end to end: question row, QUESTION event, answer, ANSWERED, the waiting call.
/// </summary>
internal sealed class QuestionBench(LivePreviewHost host, Report report)
{
    public async Task RunAsync(string sandboxId, int warmUp, int samples, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var events = new ClientWebSocket();
        events.Options.Proxy = null;
        events.Options.SetRequestHeader("Authorization", $"Bearer {host.AdminKey}");
        await events.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/api/v1/events/ws?sandbox_id={sandboxId}&types=QUESTION"), cancellationToken);
        var answering = AnswerEachQuestionAsync(events, sandboxId, stop.Token);

        using var gateway = SocketClient(Path.Combine(host.DataDirectory, "gateway.sock"));
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri("http://gateway/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + host.Service<GatewayTokens>().For(sandboxId) },
        }, gateway, ownsHttpClient: false), cancellationToken: cancellationToken);
        var times = new List<double>();
        for (var i = 0; i < warmUp + samples; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = await client.CallToolAsync("ask_user",
                new Dictionary<string, object?> { ["question"] = $"Bench question {i}: go on?", ["choices"] = new[] { "yes", "no" } },
                cancellationToken: cancellationToken);
            clock.Stop();
            var text = result.Content.OfType<TextContentBlock>().SingleOrDefault()?.Text;
            if (result.IsError == true || text != "yes")
            {
                throw new InvalidOperationException($"ask_user returned {(result.IsError == true ? "an error" : "")} '{text}'.");
            }
            if (i >= warmUp)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        await stop.CancelAsync();
        await answering.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        report.Add(new Row("QUESTION → answer → tool result", Stats.Ms(Stats.P50(times)), Stats.Ms(Stats.P95(times)), "—", "—",
            $"MCP client calls ask_user on the gateway socket; answered via POST …/answer on seeing QUESTION on WS /api/v1/events/ws; {samples} samples after {warmUp} warm-up"));
    }

    /// <summary>Answers "yes" to every QUESTION event of the sandbox as it arrives.</summary>
    private async Task AnswerEachQuestionAsync(ClientWebSocket events, string sandboxId, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (!cancellationToken.IsCancellationRequested)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await events.ReceiveAsync(buffer, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }
            var e = JsonDocument.Parse(message.ToArray()).RootElement;
            message.SetLength(0);
            if (e.TryGetProperty("type", out var type) && type.GetString() == "QUESTION")
            {
                var questionId = e.GetProperty("payload").GetProperty("question_id").GetString();
                using var answered = await host.Http.PostAsJsonAsync($"api/v1/sandbox/{sandboxId}/answer", new { question_id = questionId, answer = "yes" }, cancellationToken);
                answered.EnsureSuccessStatusCode();
            }
        }
    }

    /// <summary>Every connection to the gateway's Unix socket, as a sandbox's relay makes it.</summary>
    private static HttpClient SocketClient(string path) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = new Uri("http://gateway/"), Timeout = TimeSpan.FromMinutes(2) };
}
