using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using LivePreview.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.Support;

/// <summary>
/// The real service on real Kestrel, bound to 127.0.0.1 on a free port, with its own data directory.
/// Snapshots are shared between hosts (building them is the slow part) in one folder per machine.
/// </summary>
public sealed class LivePreviewHost : IAsyncDisposable
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string SharedSnapshotRoot { get; } =
        Environment.GetEnvironmentVariable("LIVEPREVIEW_TEST_SNAPSHOTS") ?? Path.Combine(Path.GetTempPath(), "livepreview-test-snapshots");

    private LivePreviewHost(WebApplication app, string dataDirectory, string adminKey, TestCertificate? tls)
    {
        App = app;
        DataDirectory = dataDirectory;
        AdminKey = adminKey;
        Tls = tls;
        BaseUri = new Uri(app.Urls.First().Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/");
        Port = BaseUri.Port;
        Http = CreateLoopbackClient();
        Http.BaseAddress = new Uri($"{BaseUri.Scheme}://127.0.0.1:{Port}/");
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
    }

    /// <summary>The bootstrap admin's API key (<c>LivePreview:Auth:BootstrapKey</c>, new for every host); <see cref="Http"/> sends it.</summary>
    public string AdminKey { get; }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public Uri BaseUri { get; }

    public int Port { get; }

    /// <summary>The certificate the service serves when it was started with TLS (its clients pin it), else null.</summary>
    public TestCertificate? Tls { get; }

    /// <summary>
    /// Reaches every host name (including *.localhost, which .NET does not resolve) on this service's port, as the
    /// bootstrap admin (<c>Authorization: Bearer</c> <see cref="AdminKey"/>). <see cref="CreateLoopbackClient"/> is anonymous.
    /// </summary>
    public HttpClient Http { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="tls">Serve https (HTTP/1.1 and HTTP/2 by ALPN) with this certificate instead of http, previews included (<c>Previews:Scheme=https</c>).</param>
    public static async Task<LivePreviewHost> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, TestCertificate? tls = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("livepreview-test-").FullName;
        var adminKey = "lpk_test_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var args = new List<string>
        {
            $"--LivePreview:Auth:BootstrapKey={adminKey}",
            "--urls=http://127.0.0.1:0",
            $"--LivePreview:DataDirectory={dataDirectory}",
            $"--LivePreview:TemplatesDirectory={Path.Combine(RepositoryRoot, "templates")}",
            $"--LivePreview:Snapshots:Root={SharedSnapshotRoot}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:LivePreview=Information",
            // No warm pool unless a test asks for one (settings below win): pooled dev servers would
            // compete for the two cores and show up in sandbox counts of tests about something else.
            "--LivePreview:WarmPool:Size=0",
        };
        if (tls is not null)
        {
            args.Add("--urls=https://127.0.0.1:0");
            args.Add($"--Kestrel:Certificates:Default:Path={tls.WritePfx(dataDirectory)}");
            args.Add("--LivePreview:Previews:Scheme=https");
        }
        settings ??= new Dictionary<string, string?>();
        if (PostgresServer.SuiteRunsOnPostgres && !settings.ContainsKey("LivePreview:Database:Provider"))
        {
            args.Add("--LivePreview:Database:Provider=PostgreSQL");
            // Hosts that share a database name the same SQLite connection string; they share a PostgreSQL database then.
            var sharedKey = settings.TryGetValue("LivePreview:Database:ConnectionString", out var shared) && shared is not null ? shared : dataDirectory;
            args.Add($"--ConnectionStrings:LivePreview={await PostgresDatabaseForAsync(sharedKey)}");
        }
        args.AddRange(settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        var app = LivePreviewApp.Build([.. args]);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var configuredKey = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LivePreview.Auth.AuthOptions>>().Value.BootstrapKey;
        // A test that unsets the key gets the one the service generated in its data directory.
        var key = string.IsNullOrWhiteSpace(configuredKey) ? (await File.ReadAllTextAsync(Path.Join(dataDirectory, "bootstrap-key"))).Trim() : configuredKey.Trim();
        return new LivePreviewHost(app, dataDirectory, key, tls);
    }

    private static readonly Dictionary<string, Task<string>> PostgresDatabases = [];

    /// <summary>
    /// One fresh database on the shared test server per data directory: a test that restarts the service on the same data
    /// directory finds its state again, as it would in SQLite's file there. The server and its databases go at process exit.
    /// </summary>
    private static Task<string> PostgresDatabaseForAsync(string key)
    {
        lock (PostgresDatabases)
        {
            if (!PostgresDatabases.TryGetValue(key, out var database))
            {
                database = PostgresDatabases[key] = CreateAsync();
            }
            return database;
        }

        static async Task<string> CreateAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
    }

    /// <summary>
    /// Runs <paramref name="sql"/> on the database of the service that ran on <paramref name="dataDirectory"/> (also while
    /// it is stopped) and returns the first column of the first row. Quote identifiers (<c>"Status"</c>): valid on both.
    /// </summary>
    public static async Task<string?> ScalarAsync(string dataDirectory, string sql)
    {
        System.Data.Common.DbConnection connection = PostgresServer.SuiteRunsOnPostgres
            ? new Npgsql.NpgsqlConnection(await PostgresDatabaseForAsync(dataDirectory))
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Join(dataDirectory, "livepreview.db")};Pooling=False");
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (await command.ExecuteScalarAsync())?.ToString();
        }
    }

    public HttpClient CreateLoopbackClient(bool useCookies = true) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = useCookies,
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = Tls is null ? null : (_, certificate, _, _) => Tls.Matches(certificate) },
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<JsonElement> CreateSandboxAsync(string framework)
    {
        using var response = await Http.PostAsJsonAsync("api/v1/sandboxes", new { framework });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Polls the preview of a sandbox until it is ready; fails with its error and log tail otherwise.</summary>
    public async Task<JsonElement> WaitForPreviewAsync(string sandboxId, string status = "ready", TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(4));
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.GetAsync($"api/v1/preview/sandbox/{sandboxId}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>();
                var current = last.GetProperty("status").GetString();
                if (current == status)
                {
                    return last;
                }
                Assert.False(current == "error" && status != "error", $"Preview failed: {last}");
            }
            else
            {
                var sandbox = await Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}");
                Assert.NotEqual("error", sandbox.GetProperty("status").GetString());
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Preview of {sandboxId} not {status} in time; last: {last}");
    }

    /// <summary>
    /// Makes a grant for a preview (<c>POST /api/v1/preview/{id}/grants</c>, as <paramref name="client"/> or the admin):
    /// <c>{ id, url, expires_at }</c>. Previews are private: a browser opens one through the grant's url.
    /// </summary>
    public async Task<JsonElement> CreateGrantAsync(string previewId, bool share = false, int expiresInSeconds = 3600, HttpClient? client = null)
    {
        using var response = await (client ?? Http).PostAsJsonAsync($"api/v1/preview/{previewId}/grants", new { expires_in_seconds = expiresInSeconds, share });
        Assert.False(response.StatusCode != HttpStatusCode.Created, $"grant: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The url of a fresh grant for the sandbox's preview (waits until it is ready): what a test's browser opens.</summary>
    public async Task<string> OpenPreviewUrlAsync(string sandboxId, bool share = false)
    {
        var preview = await WaitForPreviewAsync(sandboxId);
        return (await CreateGrantAsync(preview.GetProperty("id").GetString()!, share)).GetProperty("url").GetString()!;
    }

    /// <summary>Follows a grant url's exchange without a cookie jar and returns the grant cookie it set ("name=value").</summary>
    public async Task<string> ExchangeGrantAsync(string grantUrl)
    {
        using var client = CreateLoopbackClient(useCookies: false);
        using var response = await client.GetAsync(grantUrl);
        Assert.False(response.StatusCode != HttpStatusCode.Redirect, $"exchange: {(int)response.StatusCode}");
        return response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    /// <summary>Deletes every sandbox the host still holds (a failed test leaves some), then stops it.</summary>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            var sandboxes = Service<LivePreview.Sandboxes.SandboxManager>();
            foreach (var sandbox in await sandboxes.ListLocalAsync(CancellationToken.None))
            {
                await sandboxes.DeleteAsync(sandbox.Id, CancellationToken.None);
            }
        }
        catch (ObjectDisposedException)
        {
        }
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LivePreview.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("LivePreview.slnx not found above the test binaries.");
    }
}
