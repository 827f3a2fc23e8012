using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LivePreview.Tests.Support;

/// <summary>
/// The service as its own process (the build output's <c>livepreview</c> of this test run's configuration, or a
/// published one), on 127.0.0.1 and a free port: what a test needs to kill an instance for real (<see cref="Kill"/> is
/// SIGKILL) or to run a build on its own. Its log is drained all the time (a full pipe would stall it) and its last
/// lines kept for failure messages.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private ServiceProcess(Process process) => _process = process;

    /// <summary>The build output this test project was built beside (same configuration).</summary>
    public static string BuiltBinary { get; } = Path.Join(LivePreviewHost.RepositoryRoot, "src", "LivePreview.Server", "bin",
        AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug", "net10.0", "livepreview");

    public int Port { get; private set; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last 300 lines it printed.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>Starts <paramref name="binary"/> with <paramref name="environment"/> added to this process's and waits until it listens.</summary>
    public static async Task<ServiceProcess> StartAsync(string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo(binary, ["--urls=http://127.0.0.1:0"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var service = new ServiceProcess(Process.Start(start)!);
        service._process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        service._process.BeginErrorReadLine();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        service._process.OutputDataReceived += (_, e) =>
        {
            service.Keep(e.Data);
            if (e.Data is { } line && ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        service._process.BeginOutputReadLine();
        var exited = service._process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(120)));
        if (first != listening.Task)
        {
            await service.DisposeAsync();
            throw new InvalidOperationException($"The service did not start listening:\n{service.Log}");
        }
        service.Port = await listening.Task;
        return service;
    }

    /// <summary>SIGKILL, as a crashed machine or an OOM kill would end it: nothing runs its shutdown.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and a wait for the graceful shutdown (SIGKILL after two minutes).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await term!.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _log.Enqueue(line);
        while (_log.Count > 300 && _log.TryDequeue(out _))
        {
        }
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
