using System.Text;
using LivePreview.Sandboxes;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The provider contract plus terminals, for every provider that has them (Local, Kubernetes): what the terminal WebSocket
/// relies on. Commands are typed so that their echo differs from their output (<c>echo h""i</c> prints hi, its echo does not
/// contain it). A provider without terminals derives from <see cref="SandboxProviderContract"/> and asserts its limit instead.
/// </summary>
public abstract class SandboxTerminalContract : SandboxProviderContract
{
    [Fact]
    public async Task A_terminal_runs_what_is_typed_in_the_workspace_and_gives_its_output()
    {
        var id = await CreateAsync();
        await Provider.Files(id).WriteAsync("name.txt", Text("in-the-workspace"), Timeout);
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);

        await terminal.TypeAsync("echo h\"\"i-$((6*7)); cat name.txt; echo \"$TERM\"\r");

        await terminal.WaitForAsync("hi-42");
        await terminal.WaitForAsync("in-the-workspace");
        await terminal.WaitForAsync("xterm-256color");
    }

    [Fact]
    public async Task A_resize_reaches_the_terminal_and_stty_reports_it()
    {
        var id = await CreateAsync();
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);
        await terminal.TypeAsync("echo first=$(stty size)\r");
        await terminal.WaitForAsync("first=24 80");

        terminal.Terminal.Resize(120, 32);
        await terminal.TypeAsync("echo size=$(stty size)\r");

        await terminal.WaitForAsync("size=32 120");
    }

    [Fact]
    public async Task Ctrl_C_interrupts_the_foreground_job_and_the_shell_lives_on()
    {
        var id = await CreateAsync();
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);
        var seconds = TerminalJobs.UniqueSeconds();

        // The key only reaches the job once it is the terminal's foreground process group (job control works).
        await terminal.TypeAsync($"sleep {seconds}\r");
        await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: true);
        await terminal.TypeAsync("\u0003");
        await terminal.TypeAsync("echo after$((40+2)) status=$?\r");

        await terminal.WaitForAsync("after42 status=130");
        Assert.Empty(TerminalJobs.SleepingProcesses(seconds));
    }

    [Fact]
    public async Task Exit_ends_the_terminal_with_the_shells_exit_code_and_its_output_ends()
    {
        var id = await CreateAsync();
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);

        await terminal.TypeAsync("exit 3\r");

        Assert.Equal(3, await terminal.Terminal.Exited.WaitAsync(Timeout));
        await terminal.Ended.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Kill_ends_the_shell_and_every_job_it_started()
    {
        var id = await CreateAsync();
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);
        var seconds = TerminalJobs.UniqueSeconds();
        await terminal.TypeAsync($"sleep {seconds} & echo sta\"\"rted\r");
        await terminal.WaitForAsync("started");
        // Every provider's sandbox (the Kubernetes double's pods included) runs on this host: the sleep is in its /proc.
        await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: false);

        await terminal.Terminal.KillAsync().WaitAsync(Timeout);

        await terminal.Terminal.Exited.WaitAsync(Timeout);
        await terminal.Ended.WaitAsync(Timeout);
        // Local waits for the whole tree itself; a remote provider's kill may land just after the stream went (the
        // Kubernetes double kills on the hang-up, as its kill exec sees another pid namespace), so this waits a little.
        Assert.True(await TerminalJobs.WaitGoneAsync(seconds), $"sleep {seconds} outlived the kill");
    }

    [Fact]
    public async Task Stop_ends_the_sandboxs_terminals()
    {
        var id = await CreateAsync();
        await using var terminal = await TerminalScreen.StartAsync(Provider, id, 80, 24);
        await terminal.TypeAsync("echo rea\"\"dy\r");
        await terminal.WaitForAsync("ready");

        await Provider.StopAsync(id, Timeout);

        await terminal.Terminal.Exited.WaitAsync(Timeout);
        await terminal.Ended.WaitAsync(Timeout);
    }

    /// <summary>A terminal with everything it printed so far, read by a loop of its own.</summary>
    private sealed class TerminalScreen : IAsyncDisposable
    {
        private readonly StringBuilder _screen = new();
        private readonly Lock _gate = new();

        private TerminalScreen(ISandboxTerminal terminal)
        {
            Terminal = terminal;
            Ended = Task.Run(ReadAsync);
        }

        public ISandboxTerminal Terminal { get; }

        /// <summary>Completes when the terminal's output has ended.</summary>
        public Task Ended { get; }

        public static async Task<TerminalScreen> StartAsync(ISandboxProvider provider, string id, int columns, int rows) =>
            new(await provider.StartTerminalAsync(id, new SandboxTerminalSpec(columns, rows), Timeout));

        public async Task TypeAsync(string keys) => await Terminal.Stream.WriteAsync(Encoding.UTF8.GetBytes(keys));

        public async Task WaitForAsync(string text)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!Screen().Contains(text, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline && !Ended.IsCompleted, $"'{text}' did not appear; the terminal showed: {Screen()}");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Terminal.DisposeAsync();
            await Ended.WaitAsync(TimeSpan.FromSeconds(60));
        }

        private string Screen()
        {
            lock (_gate)
            {
                return _screen.ToString();
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[16 * 1024];
            var decoder = Encoding.UTF8.GetDecoder();
            var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
            try
            {
                int read;
                while ((read = await Terminal.Stream.ReadAsync(buffer)) > 0)
                {
                    var count = decoder.GetChars(buffer, 0, read, chars, 0);
                    lock (_gate)
                    {
                        _screen.Append(chars, 0, count);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The PTY master ends with EIO once no process holds the terminal.
            }
        }
    }
}
