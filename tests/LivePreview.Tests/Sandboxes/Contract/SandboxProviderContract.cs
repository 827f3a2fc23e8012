using System.Net;
using System.Net.Sockets;
using System.Text;
using LivePreview.Sandboxes;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// What every <see cref="ISandboxProvider"/> must do, run against each one (<c>*ContractTests</c>): the flows above the
/// interface (previews, files, commands, the warm pool) rely on exactly these behaviours and nothing provider-specific.
/// The sandbox's snapshot holds <c>server.js</c> (answers its <c>name.txt</c> on the port it is given) and <c>src/App.tsx</c>.
/// </summary>
public abstract class SandboxProviderContract : IAsyncLifetime
{
    protected static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

    protected abstract ISandboxProvider Provider { get; }

    /// <summary>A fresh id the subclass cleans up after.</summary>
    protected abstract string NewId();

    protected abstract SandboxSpec Spec(string id);

    /// <summary>A new provider instance replaces the current one (a service restart): the old one's processes may die.</summary>
    protected abstract Task RestartAsync();

    /// <summary>A port the sandbox's server can listen on.</summary>
    protected abstract int ServerPort();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    [Fact]
    public async Task Create_is_idempotent_and_the_sandbox_is_listed_and_healthy()
    {
        var id = await CreateAsync();

        await Provider.CreateAsync(Spec(id), Timeout);

        Assert.Contains(id, await Provider.ListAsync(Timeout));
        Assert.Equal(new SandboxHealth(true, true, null), await Provider.GetHealthAsync(id, Timeout));
    }

    [Fact]
    public async Task A_new_provider_instance_attaches_the_sandbox_with_its_files()
    {
        var id = await CreateAsync();
        await Provider.Files(id).WriteAsync("src/edited.ts", Text("edited"), Timeout);

        await RestartAsync();

        Assert.True(await Provider.AttachAsync(Spec(id), Timeout));
        Assert.Equal("edited", await ReadAsync(id, "src/edited.ts"));
        Assert.True((await Provider.GetHealthAsync(id, Timeout)).Healthy);
        Assert.False(await Provider.AttachAsync(Spec(NewId()), Timeout));
    }

    [Fact]
    public async Task A_started_process_gives_its_output_in_order_and_its_exit_code()
    {
        var id = await CreateAsync();

        await using var process = await Provider.StartProcessAsync(id,
            new SandboxProcessSpec(["node", "-e", "console.log('one'); console.error('two'); console.log('three'); process.exit(7)"]), Timeout);
        var lines = new List<string>();
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            lines.Add(line);
        }

        Assert.Equal(7, await process.Exited.WaitAsync(Timeout));
        Assert.Equal(["one", "three"], lines.Where(l => l is "one" or "three"));
        Assert.Contains("two", lines);
    }

    [Fact]
    public async Task A_command_gets_its_arguments_environment_and_working_directory_exactly()
    {
        var id = await CreateAsync();
        string[] awkward = ["it's", "$(touch hacked)", "a b", "`x`;|&", "\"q\"", ""];

        var result = await Provider.RunCommandAsync(id, new SandboxProcessSpec(
            ["node", "-e", "console.log(JSON.stringify([process.cwd().split('/').pop(), process.env.LP_CONTRACT, ...process.argv.slice(1)]))", .. awkward],
            Environment: new Dictionary<string, string> { ["LP_CONTRACT"] = "x'$HOME y" }, WorkingDirectory: "src"), TimeSpan.FromSeconds(60), Timeout);

        Assert.Equal(0, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Equal(["src", "x'$HOME y", .. awkward], System.Text.Json.JsonSerializer.Deserialize<string[]>(result.Output.Trim())!);
        Assert.Null(await Provider.Files(id).StatAsync("src/hacked", Timeout));
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_and_says_so()
    {
        var id = await CreateAsync();

        var result = await Provider.RunCommandAsync(id, new SandboxProcessSpec(["node", "-e", "console.log('started'); setInterval(() => {}, 1000)"]), TimeSpan.FromSeconds(5), Timeout);

        Assert.True(result.TimedOut);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task Files_are_written_read_listed_statted_and_deleted()
    {
        var id = await CreateAsync();
        var files = Provider.Files(id);

        await files.WriteAsync("src/deep/new.txt", Text("hello"), Timeout);
        await files.WriteAsync("src/deep/new.txt", Text("hello again"), Timeout);

        Assert.Equal("hello again", await ReadAsync(id, "src/deep/new.txt"));
        var stat = await files.StatAsync("src/deep/new.txt", Timeout);
        Assert.Equal(("src/deep/new.txt", "new.txt", false, 11L), (stat!.Path, stat.Name, stat.IsDirectory, stat.Size));
        var listed = await files.ListAsync("src", Timeout);
        Assert.Contains(listed!, e => e is { Path: "src/App.tsx", IsDirectory: false });
        Assert.Contains(listed!, e => e is { Path: "src/deep", IsDirectory: true });
        Assert.True((await files.StatAsync("src", Timeout))!.IsDirectory);
        Assert.Null(await files.ListAsync("missing", Timeout));
        Assert.Null(await files.OpenReadAsync("missing.txt", Timeout));
        Assert.True(await files.DeleteAsync("src/deep/new.txt", Timeout));
        Assert.False(await files.DeleteAsync("src/deep/new.txt", Timeout));
        Assert.Null(await files.StatAsync("src/deep/new.txt", Timeout));
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("src/../../outside.txt")]
    [InlineData("/etc/passwd")]
    public async Task Paths_outside_the_workspace_are_refused(string path)
    {
        var id = await CreateAsync();
        var files = Provider.Files(id);

        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.WriteAsync(path, Text("x"), Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.OpenReadAsync(path, Timeout));
        await Assert.ThrowsAsync<InvalidWorkspacePathException>(() => files.DeleteAsync(path, Timeout));
    }

    [Fact]
    public async Task A_port_is_reached_over_http_where_the_provider_says()
    {
        var id = await CreateAsync();
        await Provider.Files(id).WriteAsync("name.txt", Text("contract"), Timeout);
        var port = ServerPort();
        await using var server = await StartServerAsync(id, port);

        var (endpoint, prefix, headers) = await SandboxHttpClient.PortAsync(Provider, id, port, Timeout);
        using var http = SandboxHttpClient.Create(endpoint, headers: headers);
        var response = await http.GetAsync(new Uri(prefix + "/"), readBody: true, Timeout);

        Assert.Equal((200, "contract"), (response.StatusCode, response.Body));
    }

    [Fact]
    public async Task Stop_ends_every_process_and_keeps_the_workspace()
    {
        var id = await CreateAsync();
        await Provider.Files(id).WriteAsync("kept.txt", Text("kept"), Timeout);
        var process = await StartRunningAsync(id);

        await Provider.StopAsync(id, Timeout);

        await process.Exited.WaitAsync(Timeout);
        Assert.True((await Provider.GetHealthAsync(id, Timeout)).Exists);
        Assert.True(await Provider.AttachAsync(Spec(id), Timeout));
        Assert.Equal("kept", await ReadAsync(id, "kept.txt"));
    }

    [Fact]
    public async Task Stop_right_after_a_start_ends_the_process_too()
    {
        var id = await CreateAsync();
        for (var i = 0; i < 5; i++)
        {
            var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "-e", "setInterval(() => {}, 1000)"]), Timeout);

            await Provider.StopAsync(id, Timeout);

            await process.Exited.WaitAsync(Timeout);
            await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task Delete_removes_the_sandbox_and_is_idempotent()
    {
        var id = await CreateAsync();
        await StartRunningAsync(id);

        await Provider.DeleteAsync(id, Timeout);
        await Provider.DeleteAsync(id, Timeout);

        Assert.False((await Provider.GetHealthAsync(id, Timeout)).Exists);
        Assert.DoesNotContain(id, await Provider.ListAsync(Timeout));
        Assert.False(await Provider.AttachAsync(Spec(id), Timeout));
    }

    /// <summary>
    /// Writes the contract's snapshot (<c>server.js</c> and <c>src/App.tsx</c>) as a folder for a remote provider's double,
    /// <c>{framework}-000000000000</c> in a new temporary folder of its own (delete the parent afterwards).
    /// </summary>
    protected static async Task<string> WriteSnapshotAsync(string framework)
    {
        var snapshot = Path.Join(Path.GetTempPath(), $"lp-contract-snap-{Guid.NewGuid():N}", $"{framework}-000000000000");
        Directory.CreateDirectory(Path.Join(snapshot, "src"));
        await File.WriteAllTextAsync(Path.Join(snapshot, "server.js"), LocalSandboxHarness.ServerScript);
        await File.WriteAllTextAsync(Path.Join(snapshot, "src", "App.tsx"), "export const App = () => 'snapshot';\n");
        return snapshot;
    }

    protected async Task<string> CreateAsync()
    {
        var id = NewId();
        await Provider.CreateAsync(Spec(id), Timeout);
        return id;
    }

    /// <summary>A process that has said it runs.</summary>
    protected async Task<ISandboxProcess> StartRunningAsync(string id)
    {
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "-e", "console.log('running'); setInterval(() => {}, 1000)"]), Timeout);
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            if (line == "running")
            {
                return process;
            }
        }
        throw new InvalidOperationException($"The process exited with {await process.Exited} before it ran.");
    }

    protected async Task<ISandboxProcess> StartServerAsync(string id, int port)
    {
        var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["node", "server.js", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]), Timeout);
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            if (line.StartsWith("listening on", StringComparison.Ordinal))
            {
                return process;
            }
        }
        throw new InvalidOperationException($"server.js exited with {await process.Exited} before it listened.");
    }

    protected async Task<string?> ReadAsync(string id, string path)
    {
        await using var stream = await Provider.Files(id).OpenReadAsync(path, Timeout);
        return stream is null ? null : await new StreamReader(stream).ReadToEndAsync();
    }

    protected static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>A TCP port free on this machine now (for providers whose sandboxes share the host's network).</summary>
    protected static int FreeHostPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
