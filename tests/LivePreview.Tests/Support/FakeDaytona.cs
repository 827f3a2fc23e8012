using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace LivePreview.Tests.Support;

/// <summary>
/// Daytona's API and toolbox on 127.0.0.1, speaking their wire format (paths, JSON field names and status codes of its OpenAPI
/// documents; <c>Authorization: Bearer</c>; the preview token in <c>X-Daytona-Preview-Token</c>), and really doing what is
/// asked: a sandbox is a folder (its home; the snapshot is copied into <c>app/</c>), a session command is <c>sh -c</c> run
/// there, its output streams over the logs WebSocket, and a port's preview URL is a listener of its own that checks the token
/// and forwards (HTTP and WebSockets) to that port on this machine.
/// </summary>
public sealed class FakeDaytona : IAsyncDisposable
{
    public const string PreviewTokenHeader = "X-Daytona-Preview-Token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeSandbox> _sandboxes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _snapshots;

    private FakeDaytona(WebApplication app, string apiKey, string root, Dictionary<string, string> snapshots)
    {
        _app = app;
        ApiKey = apiKey;
        Root = root;
        _snapshots = snapshots;
    }

    public string ApiKey { get; }

    /// <summary>Sandbox homes live below it.</summary>
    public string Root { get; }

    public Uri ApiUrl => new(_app.Urls.First() + "/api");

    /// <summary>Every API and toolbox request as "METHOD path?query", in arrival order (a test can check the key never appears in one).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <param name="snapshots">Daytona snapshot names to the host folders a new sandbox's workspace is copied from.</param>
    public static async Task<FakeDaytona> StartAsync(IReadOnlyDictionary<string, string> snapshots)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.UseWebSockets();
        var root = Path.Join(Path.GetTempPath(), $"lp-fake-daytona-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var fake = new FakeDaytona(app, "dtn_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), root, new(snapshots));
        fake.Map(app);
        await app.StartAsync();
        return fake;
    }

    /// <summary>What Daytona's auto-stop does to an idle sandbox: its processes end and it is <c>stopped</c>.</summary>
    public async Task AutoStopAsync(string name) => await Find(name)!.StopAsync();

    public string? StateOf(string name) => Find(name)?.State;

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (context.Request.Headers.Authorization != $"Bearer {ApiKey}")
            {
                await Json(context, 401, new JsonObject { ["message"] = "Unauthorized", ["statusCode"] = 401 });
                return;
            }
            await next(context);
        });
        app.MapPost("/api/sandbox", CreateAsync);
        app.MapGet("/api/sandbox", List);
        app.MapGet("/api/sandbox/{idOrName}", (HttpContext c, string idOrName) => WithSandbox(c, idOrName, s => Json(c, 200, s.Dto(ToolboxUrl))));
        app.MapDelete("/api/sandbox/{idOrName}", (HttpContext c, string idOrName) => WithSandbox(c, idOrName, async s =>
        {
            await s.StopAsync();
            _sandboxes.TryRemove(s.Id, out _);
            await s.DisposeAsync();
            await Json(c, 200, s.Dto(ToolboxUrl));
        }));
        app.MapPost("/api/sandbox/{idOrName}/start", (HttpContext c, string idOrName) => WithSandbox(c, idOrName, s => { s.State = "started"; return Json(c, 200, s.Dto(ToolboxUrl)); }));
        app.MapPost("/api/sandbox/{idOrName}/stop", (HttpContext c, string idOrName) => WithSandbox(c, idOrName, async s => { await s.StopAsync(); await Json(c, 200, s.Dto(ToolboxUrl)); }));
        app.MapGet("/api/sandbox/{idOrName}/ports/{port:int}/preview-url", (HttpContext c, string idOrName, int port) => WithSandbox(c, idOrName, async s =>
        {
            var url = await s.PreviewAsync(port);
            await Json(c, 200, new JsonObject { ["sandboxId"] = s.Id, ["url"] = url, ["token"] = s.PreviewToken });
        }));
        var toolbox = app.MapGroup("/toolbox/{id}");
        toolbox.MapPost("/process/session", (HttpContext c, string id) => Started(c, id, async s =>
        {
            var body = await Body(c);
            var sessionId = body["sessionId"]!.GetValue<string>();
            if (!s.Sessions.TryAdd(sessionId, new FakeSession(sessionId)))
            {
                await Json(c, 409, new JsonObject { ["message"] = "session already exists" });
                return;
            }
            c.Response.StatusCode = 201;
        }));
        toolbox.MapGet("/process/session", (HttpContext c, string id) => Started(c, id, s =>
            Json(c, 200, new JsonArray([.. s.Sessions.Values.Select(x => x.Dto())]))));
        toolbox.MapDelete("/process/session/{sessionId}", (HttpContext c, string id, string sessionId) => Started(c, id, async s =>
        {
            if (!s.Sessions.TryRemove(sessionId, out var session))
            {
                await Json(c, 404, new JsonObject { ["message"] = "session not found" });
                return;
            }
            await session.KillAsync();
            c.Response.StatusCode = 204;
        }));
        toolbox.MapPost("/process/session/{sessionId}/exec", (HttpContext c, string id, string sessionId) => Started(c, id, async s =>
        {
            var body = await Body(c);
            if (!s.Sessions.TryGetValue(sessionId, out var session))
            {
                await Json(c, 404, new JsonObject { ["message"] = "session not found" });
                return;
            }
            var command = session.Run(body["command"]!.GetValue<string>(), s.Home);
            await Json(c, 202, new JsonObject { ["cmdId"] = command.Id });
        }));
        toolbox.MapGet("/process/session/{sessionId}/command/{commandId}", (HttpContext c, string id, string sessionId, string commandId) => Started(c, id, async s =>
        {
            if (!s.Sessions.TryGetValue(sessionId, out var session) || !session.Commands.TryGetValue(commandId, out var command))
            {
                await Json(c, 404, new JsonObject { ["message"] = "command not found" });
                return;
            }
            await Json(c, 200, command.Dto());
        }));
        toolbox.MapGet("/process/session/{sessionId}/command/{commandId}/logs", (HttpContext c, string id, string sessionId, string commandId) => Started(c, id, async s =>
        {
            if (!s.Sessions.TryGetValue(sessionId, out var session) || !session.Commands.TryGetValue(commandId, out var command))
            {
                await Json(c, 404, new JsonObject { ["message"] = "command not found" });
                return;
            }
            if (c.Request.Query["follow"] == "true" && c.WebSockets.IsWebSocketRequest)
            {
                using var socket = await c.WebSockets.AcceptWebSocketAsync();
                await command.FollowAsync(socket, c.RequestAborted);
                return;
            }
            c.Response.ContentType = "text/plain";
            await c.Response.WriteAsync(command.Output());
        }));
        MapFiles(toolbox);
    }

    private void MapFiles(RouteGroupBuilder toolbox)
    {
        toolbox.MapGet("/files", (HttpContext c, string id, string path) => Started(c, id, s =>
            Directory.Exists(s.Resolve(path))
                ? Json(c, 200, new JsonArray([.. new DirectoryInfo(s.Resolve(path)).EnumerateFileSystemInfos().Select(FileInfoDto)]))
                : NotFound(c)));
        toolbox.MapGet("/files/info", (HttpContext c, string id, string path) => Started(c, id, s =>
        {
            var full = s.Resolve(path);
            FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
            return info.Exists ? Json(c, 200, FileInfoDto(info)) : NotFound(c);
        }));
        toolbox.MapGet("/files/download", (HttpContext c, string id, string path) => Started(c, id, async s =>
        {
            var full = s.Resolve(path);
            if (!File.Exists(full))
            {
                await NotFound(c);
                return;
            }
            c.Response.ContentType = "application/octet-stream";
            await c.Response.SendFileAsync(full);
        }));
        toolbox.MapPost("/files/upload", (HttpContext c, string id, string path) => Started(c, id, async s =>
        {
            var form = await c.Request.ReadFormAsync();
            var file = form.Files["file"];
            if (file is null)
            {
                await Json(c, 400, new JsonObject { ["message"] = "file is required" });
                return;
            }
            var full = s.Resolve(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await using (var target = File.Create(full))
            {
                await file.CopyToAsync(target);
            }
            c.Response.StatusCode = 200;
        }));
        toolbox.MapPost("/files/folder", (HttpContext c, string id, string path, string mode) => Started(c, id, s =>
        {
            Directory.CreateDirectory(s.Resolve(path));
            c.Response.StatusCode = 201;
            return Task.CompletedTask;
        }));
        toolbox.MapPost("/files/move", (HttpContext c, string id, string source, string destination) => Started(c, id, s =>
        {
            File.Move(s.Resolve(source), s.Resolve(destination), overwrite: true);
            c.Response.StatusCode = 200;
            return Task.CompletedTask;
        }));
        toolbox.MapDelete("/files", (HttpContext c, string id, string path, bool? recursive) => Started(c, id, s =>
        {
            var full = s.Resolve(path);
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive == true);
            }
            else if (File.Exists(full))
            {
                File.Delete(full);
            }
            else
            {
                return NotFound(c);
            }
            c.Response.StatusCode = 204;
            return Task.CompletedTask;
        }));
    }

    private string ToolboxUrl => _app.Urls.First() + "/toolbox";

    private async Task CreateAsync(HttpContext c)
    {
        var body = await Body(c);
        var snapshot = body["snapshot"]?.GetValue<string>() ?? "";
        if (!_snapshots.TryGetValue(snapshot, out var source))
        {
            await Json(c, 400, new JsonObject { ["message"] = $"Snapshot {snapshot} not found" });
            return;
        }
        var name = body["name"]?.GetValue<string>() ?? Guid.NewGuid().ToString();
        if (Find(name) is not null)
        {
            await Json(c, 409, new JsonObject { ["message"] = $"Sandbox with name {name} already exists" });
            return;
        }
        var labels = body["labels"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) ?? [];
        var sandbox = new FakeSandbox(Guid.NewGuid().ToString(), name, snapshot, labels, Path.Join(Root, Guid.NewGuid().ToString("N")), _app.Services.GetRequiredService<IHttpForwarder>());
        CopyDirectory(source, Path.Join(sandbox.Home, "app"));
        _sandboxes[sandbox.Id] = sandbox;
        await Json(c, 200, sandbox.Dto(ToolboxUrl));
    }

    private Task List(HttpContext c)
    {
        var labels = c.Request.Query["labels"] is { Count: > 0 } raw ? JsonSerializer.Deserialize<Dictionary<string, string>>(raw.ToString()) ?? [] : [];
        var matching = _sandboxes.Values.Where(s => labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        // Pages of two, so a client that ignores nextCursor misses sandboxes.
        var start = c.Request.Query["cursor"] is { Count: > 0 } cursor ? int.Parse(cursor.ToString(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        var page = matching.Skip(start).Take(2).ToList();
        var next = start + page.Count < matching.Count ? (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Json(c, 200, new JsonObject { ["items"] = new JsonArray([.. page.Select(s => s.Dto(ToolboxUrl))]), ["nextCursor"] = next });
    }

    private FakeSandbox? Find(string idOrName) =>
        _sandboxes.TryGetValue(idOrName, out var byId) ? byId : _sandboxes.Values.FirstOrDefault(s => s.Name == idOrName);

    private Task WithSandbox(HttpContext c, string idOrName, Func<FakeSandbox, Task> action) =>
        Find(idOrName) is { } sandbox ? action(sandbox) : Json(c, 404, new JsonObject { ["message"] = $"Sandbox with ID or name {idOrName} not found", ["statusCode"] = 404 });

    /// <summary>The toolbox answers only for a started sandbox (Daytona's proxy cannot reach a stopped one's daemon).</summary>
    private Task Started(HttpContext c, string id, Func<FakeSandbox, Task> action) => _sandboxes.TryGetValue(id, out var sandbox) && sandbox.State == "started"
        ? action(sandbox)
        : Json(c, sandbox is null ? 404 : 400, new JsonObject { ["message"] = sandbox is null ? "sandbox not found" : "sandbox is not running" });

    private static Task NotFound(HttpContext c) => Json(c, 404, new JsonObject { ["message"] = "file not found" });

    private static JsonObject FileInfoDto(FileSystemInfo info) => new()
    {
        ["name"] = info.Name,
        ["isDir"] = info is DirectoryInfo,
        ["size"] = info is FileInfo f ? f.Length : 4096,
        ["mode"] = info is DirectoryInfo ? "drwxr-xr-x" : "-rw-r--r--",
        ["modTime"] = info.LastWriteTimeUtc.ToString("yyyy-MM-dd HH:mm:ss.fffffff +0000 UTC", System.Globalization.CultureInfo.InvariantCulture),
        ["modifiedAt"] = info.LastWriteTimeUtc.ToString("O"),
        ["owner"] = "daytona",
        ["group"] = "daytona",
        ["permissions"] = info is DirectoryInfo ? "0755" : "0644",
    };

    private static async Task<JsonObject> Body(HttpContext c) => (await JsonNode.ParseAsync(c.Request.Body))!.AsObject();

    private static async Task Json(HttpContext c, int status, JsonNode body)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        await c.Response.WriteAsync(body.ToJsonString());
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var to = Path.Join(target, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(to, link);
            }
            else if (entry is DirectoryInfo)
            {
                CopyDirectory(entry.FullName, to);
            }
            else
            {
                File.Copy(entry.FullName, to);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sandbox in _sandboxes.Values)
        {
            await sandbox.StopAsync();
            await sandbox.DisposeAsync();
        }
        _sandboxes.Clear();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private sealed class FakeSandbox(string id, string name, string snapshot, Dictionary<string, string> labels, string home, IHttpForwarder forwarder) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<int, WebApplication> _previews = new();
        private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });

        public string Id { get; } = id;
        public string Name { get; } = name;
        public Dictionary<string, string> Labels { get; } = labels;
        public string Home { get; } = Directory.CreateDirectory(home).FullName;
        public string State { get; set; } = "started";
        public string PreviewToken { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        public ConcurrentDictionary<string, FakeSession> Sessions { get; } = new(StringComparer.Ordinal);

        public JsonObject Dto(string toolboxUrl) => new()
        {
            ["id"] = Id,
            ["organizationId"] = "org-fake",
            ["name"] = Name,
            ["snapshot"] = snapshot,
            ["user"] = "daytona",
            ["env"] = new JsonObject(),
            ["labels"] = new JsonObject([.. Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]),
            ["public"] = false,
            ["target"] = "us",
            ["state"] = State,
            ["autoStopInterval"] = 30,
            ["toolboxProxyUrl"] = toolboxUrl,
        };

        /// <summary>Relative paths are relative to the home folder (the sandbox's working directory); nothing may leave it.</summary>
        public string Resolve(string path)
        {
            var full = Path.GetFullPath(Path.Join(Home, path));
            return full == Home || full.StartsWith(Home + "/", StringComparison.Ordinal)
                ? full
                : throw new BadHttpRequestException("path outside the sandbox");
        }

        public async Task<string> PreviewAsync(int port)
        {
            if (_previews.TryGetValue(port, out var existing))
            {
                return existing.Urls.First();
            }
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.UseWebSockets();
            app.Run(async context =>
            {
                if (context.Request.Headers[PreviewTokenHeader] != PreviewToken)
                {
                    context.Response.StatusCode = 401;
                    await context.Response.WriteAsync("Daytona preview: missing or wrong preview token");
                    return;
                }
                if (State != "started")
                {
                    context.Response.StatusCode = 502;
                    return;
                }
                var error = await forwarder.SendAsync(context, $"http://127.0.0.1:{port}/", _invoker, ForwarderRequestConfig.Empty, new TokenStripping());
                if (error != ForwarderError.None && !context.Response.HasStarted)
                {
                    context.Response.StatusCode = 502;
                }
            });
            await app.StartAsync();
            if (!_previews.TryAdd(port, app))
            {
                await app.DisposeAsync();
            }
            return _previews[port].Urls.First();
        }

        public async Task StopAsync()
        {
            State = "stopped";
            foreach (var session in Sessions.Values)
            {
                await session.KillAsync();
            }
            Sessions.Clear();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var preview in _previews.Values)
            {
                await preview.StopAsync();
                await preview.DisposeAsync();
            }
            _invoker.Dispose();
        }

        /// <summary>Daytona's proxy does not hand its token on to the app.</summary>
        private sealed class TokenStripping : HttpTransformer
        {
            public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
            {
                await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
                proxyRequest.Headers.Remove(PreviewTokenHeader);
            }
        }
    }

    private sealed class FakeSession(string id)
    {
        public ConcurrentDictionary<string, FakeCommand> Commands { get; } = new(StringComparer.Ordinal);

        public JsonObject Dto() => new() { ["sessionId"] = id, ["commands"] = new JsonArray([.. Commands.Values.Select(c => c.Dto())]) };

        public FakeCommand Run(string command, string home)
        {
            var run = new FakeCommand(Guid.NewGuid().ToString(), command, home);
            Commands[run.Id] = run;
            return run;
        }

        public async Task KillAsync()
        {
            foreach (var command in Commands.Values)
            {
                await command.KillAsync();
            }
        }
    }

    private sealed class FakeCommand
    {
        private readonly Process _process;
        private readonly List<byte[]> _chunks = [];
        private readonly Task _pumps;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeCommand(string id, string command, string home)
        {
            Id = id;
            Command = command;
            var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = home, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
            start.Environment["HOME"] = home;
            _process = Process.Start(start)!;
            _process.StandardInput.Close();
            _pumps = Task.WhenAll(PumpAsync(_process.StandardOutput.BaseStream), PumpAsync(_process.StandardError.BaseStream))
                .ContinueWith(async _ => { await _process.WaitForExitAsync(); Signal(); }, TaskScheduler.Default).Unwrap();
        }

        public string Id { get; }
        public string Command { get; }
        private bool Done => _pumps.IsCompleted;

        public JsonObject Dto() => new() { ["id"] = Id, ["command"] = Command, ["exitCode"] = Done ? _process.ExitCode : null };

        public string Output()
        {
            lock (_chunks)
            {
                return Encoding.UTF8.GetString([.. _chunks.SelectMany(c => c)]);
            }
        }

        public async Task FollowAsync(WebSocket socket, CancellationToken ct)
        {
            var sent = 0;
            while (!ct.IsCancellationRequested)
            {
                Task changed;
                byte[][] pending;
                bool done;
                lock (_chunks)
                {
                    changed = _changed.Task;
                    pending = [.. _chunks.Skip(sent)];
                    sent = _chunks.Count;
                    done = Done;
                }
                foreach (var chunk in pending)
                {
                    await socket.SendAsync(chunk, WebSocketMessageType.Text, endOfMessage: true, ct);
                }
                if (done)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "command exited", ct);
                    return;
                }
                await changed.WaitAsync(ct);
            }
        }

        public async Task KillAsync()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            await _pumps;
        }

        private async Task PumpAsync(Stream stream)
        {
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                lock (_chunks)
                {
                    _chunks.Add(buffer[..read]);
                }
                Signal();
            }
        }

        private void Signal()
        {
            TaskCompletionSource previous;
            lock (_chunks)
            {
                previous = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            previous.TrySetResult();
        }
    }
}
