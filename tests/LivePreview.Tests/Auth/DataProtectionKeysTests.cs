using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Auth;

/// <summary>
/// The data-protection keys that protect the dashboard cookie live in the database, not in the process's home: every
/// service here runs as its own process with a home folder of its own (as a container does), so a key ring kept in
/// <c>$HOME/.aspnet</c> would be new at every start and different on every instance. A cookie issued before a restart
/// still signs in after it (on the suite's provider), and a cookie issued by one instance of a PostgreSQL database signs
/// in on another — both ways, with one key in the table.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class DataProtectionKeysTests : IAsyncLifetime
{
    private static readonly string AdminKey = InstanceSettings.NewAdminKey("dpkeys");
    private readonly string _root = Directory.CreateTempSubdirectory("lp-dpkeys-").FullName;
    private readonly List<ServiceProcess> _processes = [];
    private LivePreviewHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_dashboard_cookie_still_signs_in_after_the_service_restarts_with_an_empty_home()
    {
        var settings = new Dictionary<string, string?>
        {
            ["LivePreview:Auth:BootstrapKey"] = AdminKey,
            ["LivePreview:Sandboxes:Local:SubnetPrefix"] = InstanceSettings.SecondPrefix,
            ["LivePreview:Sandboxes:Local:FirewallTable"] = "lpdpk_restart",
        };
        string? postgres = null;
        if (PostgresServer.SuiteRunsOnPostgres)
        {
            postgres = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
            settings["LivePreview:Database:Provider"] = "PostgreSQL";
            settings["ConnectionStrings:LivePreview"] = postgres;
        }
        var data = Path.Join(_root, "data");
        var first = await StartAsync(settings, data, "home-1");
        var cookie = await SignInAsync(first.Port);
        await AssertSignedInAsync(first.Port, cookie);
        await first.StopAsync();

        var second = await StartAsync(settings, data, "home-2");

        await AssertSignedInAsync(second.Port, cookie);
        Assert.Equal("1", await CountKeysAsync(postgres ?? $"Data Source={Path.Join(data, "livepreview.db")};Pooling=False"));
    }

    [Fact]
    public async Task A_cookie_issued_by_one_instance_signs_in_on_the_other_and_back_on_postgresql()
    {
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        var secret = InstanceSettings.NewSecret();
        var a = await StartAsync(InstanceSettings.For("lp-dpk-a", second: true, "lpdpk_a", AdminKey, secret, database), Path.Join(_root, "a"), "home-a");
        _host = await LivePreviewHost.StartAsync(InstanceSettings.For("lp-dpk-b", second: false, "lpdpk_b", AdminKey, secret, database));

        var fromA = await SignInAsync(a.Port);
        await AssertSignedInAsync(_host.Port, fromA);
        var fromB = await SignInAsync(_host.Port);
        await AssertSignedInAsync(a.Port, fromB);
        Assert.Equal("1", await CountKeysAsync(database));
    }

    /// <summary>A service process on <paramref name="data"/> whose HOME is a new folder: nothing of another start's home.</summary>
    private async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string data, string home)
    {
        var environment = settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value ?? "");
        environment["HOME"] = Directory.CreateDirectory(Path.Join(_root, home)).FullName;
        environment["LivePreview__DataDirectory"] = data;
        environment["LivePreview__TemplatesDirectory"] = Path.Join(LivePreviewHost.RepositoryRoot, "templates");
        environment["LivePreview__Snapshots__Root"] = LivePreviewHost.SharedSnapshotRoot;
        environment["LivePreview__WarmPool__Size"] = "0";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        if (!environment.ContainsKey("LivePreview__Database__Provider"))
        {
            environment["LivePreview__Database__Provider"] = "Sqlite";
        }
        var process = await ServiceProcess.StartAsync(ServiceProcess.BuiltBinary, environment, _root);
        _processes.Add(process);
        return process;
    }

    /// <summary>Signs in with the pasted admin key, as the sign-in form does, and returns the cookie ("name=value").</summary>
    private static async Task<string> SignInAsync(int port)
    {
        using var client = Browser(port);
        using var form = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = AdminKey }),
        };
        form.Headers.Add("Origin", $"http://127.0.0.1:{port}");
        using var response = await client.SendAsync(form);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return AuthClients.CookieFrom(response);
    }

    /// <summary>The cookie alone is the admin on the API and opens the dashboard page (no redirect to sign-in).</summary>
    private static async Task AssertSignedInAsync(int port, string cookie)
    {
        using var client = Browser(port);
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        using var me = await client.GetAsync("api/v1/me");
        Assert.True(me.StatusCode == HttpStatusCode.OK, $"api/v1/me on {port}: {(int)me.StatusCode} {await me.Content.ReadAsStringAsync()}");
        Assert.True((await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("admin").GetBoolean());
        using var page = await client.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    private static HttpClient Browser(int port) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(60),
        };

    private static async Task<string?> CountKeysAsync(string connectionString)
    {
        System.Data.Common.DbConnection connection = connectionString.StartsWith("Data Source=", StringComparison.Ordinal)
            ? new Microsoft.Data.Sqlite.SqliteConnection(connectionString)
            : new Npgsql.NpgsqlConnection(connectionString);
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM \"DataProtectionKeys\"";
            return (await command.ExecuteScalarAsync())?.ToString();
        }
    }
}
