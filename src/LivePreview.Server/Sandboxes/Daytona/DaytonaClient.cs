using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>
/// A small typed client for Daytona's REST API (<c>/sandbox…</c>) and a sandbox's toolbox (<c>{toolboxProxyUrl}/{id}/…</c>),
/// paths and names as its OpenAPI documents give them. There is no official .NET client. The API key goes only into the
/// <c>Authorization</c> header of requests to those two places; error texts never include it (Daytona's bodies are not echoed).
/// </summary>
internal sealed class DaytonaClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly DaytonaOptions _options;
    private readonly Uri _api;

    public DaytonaClient(IOptions<DaytonaOptions> options)
    {
        _options = options.Value;
        _api = new Uri(_options.ApiUrl.TrimEnd('/') + "/");
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = _options.RequestTimeout,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
    }

    public Task<DaytonaSandbox?> GetSandboxAsync(string idOrName, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, Api($"sandbox/{Escape(idOrName)}"), null, DaytonaJson.Default.DaytonaSandbox, ct, nullOn404: true);

    public async Task<DaytonaSandbox> CreateSandboxAsync(DaytonaCreateSandbox body, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Post, Api("sandbox"), JsonContent.Create(body, DaytonaJson.Default.DaytonaCreateSandbox), DaytonaJson.Default.DaytonaSandbox, ct))!;

    public Task StartSandboxAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Post, Api($"sandbox/{Escape(id)}/start"), ct);

    public Task StopSandboxAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Post, Api($"sandbox/{Escape(id)}/stop"), ct);

    /// <summary>False when Daytona had no such sandbox.</summary>
    public Task<bool> DeleteSandboxAsync(string id, CancellationToken ct) => SendAsync(HttpMethod.Delete, Api($"sandbox/{Escape(id)}"), ct, nullOn404: true);

    /// <summary>Every sandbox carrying <paramref name="labels"/>, following <c>nextCursor</c>.</summary>
    public async Task<IReadOnlyList<DaytonaSandbox>> ListSandboxesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var all = new List<DaytonaSandbox>();
        var filter = Uri.EscapeDataString(JsonSerializer.Serialize(labels));
        string? cursor = null;
        do
        {
            var query = cursor is null ? $"sandbox?labels={filter}" : $"sandbox?labels={filter}&cursor={Uri.EscapeDataString(cursor)}";
            var page = await SendAsync(HttpMethod.Get, Api(query), null, DaytonaJson.Default.DaytonaSandboxPage, ct);
            all.AddRange(page!.Items);
            cursor = page.NextCursor;
        }
        while (cursor is { Length: > 0 });
        return all;
    }

    public async Task<DaytonaPreviewUrl> GetPreviewUrlAsync(string id, int port, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Get, Api($"sandbox/{Escape(id)}/ports/{port}/preview-url"), null, DaytonaJson.Default.DaytonaPreviewUrl, ct))!;

    public Task CreateSessionAsync(DaytonaToolbox box, string sessionId, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, box.Url("process/session"), JsonContent.Create(new DaytonaCreateSession(sessionId), DaytonaJson.Default.DaytonaCreateSession), ct);

    public async Task<DaytonaSessionExecuteResponse> ExecuteAsync(DaytonaToolbox box, string sessionId, string command, CancellationToken ct) =>
        (await SendAsync(HttpMethod.Post, box.Url($"process/session/{Escape(sessionId)}/exec"),
            JsonContent.Create(new DaytonaSessionExecute(command, RunAsync: true), DaytonaJson.Default.DaytonaSessionExecute), DaytonaJson.Default.DaytonaSessionExecuteResponse, ct))!;

    public Task<List<DaytonaSession>?> ListSessionsAsync(DaytonaToolbox box, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, box.Url("process/session"), null, DaytonaJson.Default.ListDaytonaSession, ct, nullOn404: true);

    public Task<DaytonaCommand?> GetCommandAsync(DaytonaToolbox box, string sessionId, string commandId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, box.Url($"process/session/{Escape(sessionId)}/command/{Escape(commandId)}"), null, DaytonaJson.Default.DaytonaCommand, ct, nullOn404: true);

    /// <summary>Deleting a session kills what runs in it.</summary>
    public Task<bool> DeleteSessionAsync(DaytonaToolbox box, string sessionId, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, box.Url($"process/session/{Escape(sessionId)}"), ct, nullOn404: true);

    /// <summary>
    /// A command's output as it is written (<c>…/logs?follow=true</c>, which the toolbox serves over a WebSocket only), until the
    /// command ends and the toolbox closes the socket. Chunks are raw bytes as text, not lines.
    /// </summary>
    public async IAsyncEnumerable<string> FollowLogsAsync(DaytonaToolbox box, string sessionId, string commandId, [EnumeratorCancellation] CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_options.ApiKey}");
        var http = box.Url($"process/session/{Escape(sessionId)}/command/{Escape(commandId)}/logs?follow=true");
        var ws = new UriBuilder(http) { Scheme = http.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(ws, ct);
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, ct);
            }
            catch (WebSocketException)
            {
                yield break; // the toolbox went away with the command or the sandbox; the exit code says which
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                yield break;
            }
            var count = decoder.GetChars(buffer, 0, result.Count, chars, 0, flush: false);
            if (count > 0)
            {
                yield return new string(chars, 0, count);
            }
        }
    }

    /// <summary>Null when nothing is at <paramref name="path"/>.</summary>
    public async Task<Stream?> DownloadFileAsync(DaytonaToolbox box, string path, CancellationToken ct)
    {
        var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, box.Url($"files/download?path={Uri.EscapeDataString(path)}")), HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        await EnsureSuccessAsync(response, "files/download");
        return await response.Content.ReadAsStreamAsync(ct);
    }

    /// <summary>POST files/upload: multipart with the one field <c>file</c>.</summary>
    public Task UploadFileAsync(DaytonaToolbox box, string path, Stream content, CancellationToken ct)
    {
        var form = new MultipartFormDataContent { { new StreamContent(content), "file", Path.GetFileName(path) } };
        return SendAsync(HttpMethod.Post, box.Url($"files/upload?path={Uri.EscapeDataString(path)}"), form, ct);
    }

    public Task CreateFolderAsync(DaytonaToolbox box, string path, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, box.Url($"files/folder?path={Uri.EscapeDataString(path)}&mode=755"), ct);

    public Task MoveFileAsync(DaytonaToolbox box, string source, string destination, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, box.Url($"files/move?source={Uri.EscapeDataString(source)}&destination={Uri.EscapeDataString(destination)}"), ct);

    public Task<bool> DeleteFileAsync(DaytonaToolbox box, string path, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, box.Url($"files?path={Uri.EscapeDataString(path)}&recursive=true"), ct, nullOn404: true);

    public Task<List<DaytonaFileInfo>?> ListFilesAsync(DaytonaToolbox box, string path, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, box.Url($"files?path={Uri.EscapeDataString(path)}"), null, DaytonaJson.Default.ListDaytonaFileInfo, ct, nullOn404: true);

    public Task<DaytonaFileInfo?> GetFileInfoAsync(DaytonaToolbox box, string path, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, box.Url($"files/info?path={Uri.EscapeDataString(path)}"), null, DaytonaJson.Default.DaytonaFileInfo, ct, nullOn404: true);

    public Uri ApiRoot => _api;

    private Uri Api(string relative) => new(_api, relative);

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private async Task<T?> SendAsync<T>(HttpMethod method, Uri uri, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct, bool nullOn404 = false) where T : class
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(method, uri) { Content = content }, ct);
        if (nullOn404 && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, uri.AbsolutePath);
        return await response.Content.ReadFromJsonAsync(type, ct) ?? throw new DaytonaException(response.StatusCode, $"Daytona answered {uri.AbsolutePath} with an empty body.");
    }

    /// <summary>True on success; false on a 404 when <paramref name="nullOn404"/>.</summary>
    private async Task<bool> SendAsync(HttpMethod method, Uri uri, CancellationToken ct, bool nullOn404 = false) => await SendAsync(method, uri, null, ct, nullOn404);

    private async Task<bool> SendAsync(HttpMethod method, Uri uri, HttpContent? content, CancellationToken ct, bool nullOn404 = false)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(method, uri) { Content = content }, ct);
        if (nullOn404 && response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, uri.AbsolutePath);
        return true;
    }

    /// <summary>Daytona's error body is <c>{ "message": … }</c>; only a bounded, cleaned message is kept (it is the remote side's text).</summary>
    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync();
        var message = "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            message = doc.RootElement.TryGetProperty("message", out var m) ? m.ToString() : "";
        }
        catch (JsonException)
        {
        }
        throw new DaytonaException(response.StatusCode, $"Daytona answered {(int)response.StatusCode} to {what}{(message.Length > 0 ? ": " + SandboxText.Clean(message, 300) : "")}.");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Where one sandbox's toolbox is: <c>{toolboxProxyUrl}/{sandbox id}/</c>.</summary>
internal sealed record DaytonaToolbox(string DaytonaId, Uri Root)
{
    public static DaytonaToolbox Of(DaytonaSandbox sandbox, Uri api) => new(sandbox.Id, sandbox.ToolboxProxyUrl is { Length: > 0 } proxy
        ? new Uri(proxy.TrimEnd('/') + "/" + Uri.EscapeDataString(sandbox.Id) + "/")
        // Before toolboxProxyUrl existed the toolbox was under the API: /toolbox/{id}/toolbox/… (the deprecated controller).
        : new Uri(api, $"toolbox/{Uri.EscapeDataString(sandbox.Id)}/toolbox/"));

    public Uri Url(string relative) => new(Root, relative);
}

/// <summary>Daytona refused or failed a call.</summary>
public sealed class DaytonaException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
