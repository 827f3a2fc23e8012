using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace LivePreview.Tests.Support;

/// <summary>
/// A real PostgreSQL 15 (Debian's binaries) in a temporary folder, listening on 127.0.0.1 on a free port, with trust
/// authentication for its one superuser. PostgreSQL refuses to run as root, so as root the server runs as the
/// <c>postgres</c> user (<c>runuser</c>) on a folder that user owns. Disposing stops the server (fast shutdown, then a
/// kill if it lingers) and deletes the folder: no process is left behind.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const string ServiceUser = "postgres";

    /// <summary>
    /// Runs the server (the folder, its path and arguments come in as positional parameters, never inside the script) until this
    /// process's end of the stdin pipe closes: on dispose, or when the test process dies in any way (the test host is
    /// often killed, not exited, so a ProcessExit handler alone would leave the server running). Then a fast shutdown, and
    /// the folder goes.
    /// </summary>
    private const string Watchdog = "dir=$1; shift; \"$@\" & server=$!; read -r _; kill -INT \"$server\"; wait \"$server\"; rm -rf -- \"$dir\"";

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync);
    private readonly Process _postmaster;
    private readonly string _directory;
    private int _databases;

    private PostgresServer(Process postmaster, string directory, int port)
    {
        _postmaster = postmaster;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    private readonly Queue<string> _log = new();

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > 40)
            {
                _log.Dequeue();
            }
        }
    }

    private string LogTail()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    /// <summary>Whether <c>LIVEPREVIEW_TEST_DATABASE=postgresql</c> asks every test host to run on PostgreSQL.</summary>
    public static bool SuiteRunsOnPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable("LIVEPREVIEW_TEST_DATABASE"), "postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>One server for the whole test run, started on first use and stopped when the test process exits.</summary>
    public static Task<PostgresServer> SharedAsync() => SharedServer.Value;

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = ServiceUser, Database = database,
        // Many hosts per run, each with its own pool: keep each small and let idle connections go quickly.
        MaxPoolSize = 30, ConnectionIdleLifetime = 10, IncludeErrorDetail = true,
    }.ConnectionString;

    /// <summary>A new, empty database; its name is made here (never from test input), so it is safe to put in the DDL.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "lp")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return ConnectionString(name);
    }

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("livepreview-pg-").FullName;
        try
        {
            var data = Path.Combine(root, "data");
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", ServiceUser, root);
            }
            await RunAsync(Tool("initdb"), "-D", data, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
            var port = FreePort();
            var start = Command("bash", "-c", Watchdog, "postgres-watchdog", root, Tool("postgres"), "-D", data, "-h", "127.0.0.1", "-p", port.ToString(),
                "-k", root, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=400");
            start.RedirectStandardInput = true;
            var postmaster = Process.Start(start)!;
            var server = new PostgresServer(postmaster, root, port);
            // Drained so the server never blocks on a full pipe; the last lines explain a failed start.
            postmaster.OutputDataReceived += (_, e) => server.Remember(e.Data);
            postmaster.ErrorDataReceived += (_, e) => server.Remember(e.Data);
            postmaster.BeginOutputReadLine();
            postmaster.BeginErrorReadLine();
            try
            {
                await server.WaitUntilAcceptingAsync(TimeSpan.FromSeconds(60));
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
            return server;
        }
        catch
        {
            TryDelete(root);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (!_postmaster.HasExited)
        {
            // Closing stdin makes the watchdog send SIGINT, PostgreSQL's fast shutdown: it ends every backend and exits.
            _postmaster.StandardInput.Close();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _postmaster.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                _postmaster.Kill(entireProcessTree: true);
                await _postmaster.WaitForExitAsync();
            }
        }
        _postmaster.Dispose();
        TryDelete(_directory);
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private async Task WaitUntilAcceptingAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_postmaster.HasExited)
            {
                throw new InvalidOperationException($"postgres exited with {_postmaster.ExitCode} while starting:\n{LogTail()}");
            }
            try
            {
                await ExecuteAsync("SELECT 1");
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>As root, the command runs as the postgres user; argument lists only, never a shell string.</summary>
    private static ProcessStartInfo Command(string file, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.IsPrivilegedProcess ? "runuser" : file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Environment.IsPrivilegedProcess)
        {
            foreach (var a in new[] { "-u", ServiceUser, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = file is "chown" ? new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true } : Command(file, args);
        if (file is "chown")
        {
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
