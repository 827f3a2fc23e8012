using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using LivePreview.Tests.Auth;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Terminals;

/// <summary>
/// The terminal WebSocket against the real service: a real bash on a real PTY inside a real sandbox. Commands are typed
/// so that their echo differs from their output (<c>echo hel""lo</c> prints hello, its echo does not contain it).
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class TerminalSocketTests(TerminalWorld world) : IClassFixture<TerminalWorld>
{
    [Fact]
    public async Task A_command_typed_into_the_terminal_runs_in_the_workspace_and_its_output_comes_back()
    {
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=echo");

        await terminal.TypeAsync("echo hel\"\"lo; pwd; echo \"$TERM\"-x\r");

        await terminal.WaitForAsync("hello");
        await terminal.WaitForAsync("/app");
        await terminal.WaitForAsync("xterm-256color-x");
    }

    [Fact]
    public async Task Colour_escape_sequences_pass_through_raw_and_the_terminal_has_256_colours()
    {
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=colours");

        await terminal.TypeAsync("printf '\\033[3%dmred\\033[0m\\n' 1; echo colours=$(tput colors)\r");

        await terminal.WaitForAsync("\u001b[31mred\u001b[0m");
        await terminal.WaitForAsync("colours=256");
    }

    [Fact]
    public async Task A_resize_reaches_the_terminal_and_stty_reports_it()
    {
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=resize");

        await terminal.ControlAsync(new { type = "resize", cols = 120, rows = 32 });
        await terminal.TypeAsync("echo size=$(stty size)\r");

        await terminal.WaitForAsync("size=32 120");
    }

    [Fact]
    public async Task Ctrl_C_interrupts_the_foreground_job_and_ctrl_Z_stops_it_for_fg()
    {
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=signals");
        var seconds = TerminalJobs.UniqueSeconds();

        // A signal key only reaches a job once it is the terminal's foreground process group, so each key waits for that.
        await terminal.TypeAsync($"sleep {seconds}\r");
        var sleep = await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: true);
        await terminal.TypeAsync("\u001a");
        await terminal.WaitForAsync("Stopped");
        await TerminalJobs.WaitForSleepAsync(seconds, state: 'T', foreground: false);
        await terminal.TypeAsync("fg\r");
        Assert.Equal(sleep, await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: true));
        await terminal.TypeAsync("\u0003");
        await terminal.TypeAsync("echo after$((40+2)) status=$?\r");

        await terminal.WaitForAsync("after42 status=130");
        Assert.Empty(TerminalJobs.SleepingProcesses(seconds));
    }

    [Fact]
    public async Task Exit_ends_the_shell_and_the_server_sends_its_exit_code_then_closes()
    {
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=exit");

        await terminal.TypeAsync("exit 3\r");

        var exit = await terminal.ReceiveControlAsync();
        Assert.NotNull(exit);
        Assert.Equal("exit", exit.Value.GetProperty("type").GetString());
        Assert.Equal(3, exit.Value.GetProperty("code").GetInt32());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await terminal.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_reattach_after_a_disconnect_gets_the_same_shell_and_its_recent_output()
    {
        await using (var first = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=reattach"))
        {
            await first.TypeAsync("marker=kept; echo before-$((6*7))\r");
            await first.WaitForAsync("before-42");
        }

        await using var second = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=reattach");

        await second.WaitForAsync("before-42");
        await second.TypeAsync("echo still-$marker\r");
        await second.WaitForAsync("still-kept");
    }

    [Fact]
    public async Task Bad_control_messages_and_oversized_messages_close_the_socket_with_a_reason()
    {
        await using (var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=bad"))
        {
            await terminal.ControlAsync(new { type = "resize", cols = 0, rows = 32 });
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await terminal.WaitForCloseAsync());
        }
        await using (var terminal = await TerminalClient.ConnectAsync(world.Host, world.SandboxId, "terminal=bad"))
        {
            await terminal.SendAsync(new byte[65 * 1024]);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await terminal.WaitForCloseAsync());
        }
        using var badName = await world.Host.Http.GetAsync($"api/v1/sandboxes/{world.SandboxId}/terminal?terminal=../x");
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        using var notSocket = await world.Host.Http.GetAsync($"api/v1/sandboxes/{world.SandboxId}/terminal");
        Assert.Equal(HttpStatusCode.BadRequest, notSocket.StatusCode);
        Assert.Contains("WebSocket", await notSocket.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_user_gets_404_for_the_sandboxs_terminal_exactly_like_an_unknown_sandbox()
    {
        Assert.Equal(HttpStatusCode.NotFound, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, key: world.BobKey));
        Assert.Equal(HttpStatusCode.NotFound, await TerminalClient.HandshakeStatusAsync(world.Host, "zzzzzzzzzzzz", key: world.BobKey));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, key: world.Host.AdminKey));
    }

    [Fact]
    public async Task A_signed_in_browser_cookie_opens_the_terminal_only_from_the_dashboards_own_origin()
    {
        var cookie = await AuthClients.SignInWithLoginLinkAsync(world.Host);

        Assert.Equal(HttpStatusCode.Forbidden, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, cookie: cookie, origin: "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, cookie: cookie, origin: AuthClients.PreviewOrigin(world.Host)));
        Assert.Equal(HttpStatusCode.Forbidden, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, cookie: cookie));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await TerminalClient.HandshakeStatusAsync(world.Host, world.SandboxId, cookie: cookie, origin: AuthClients.OwnOrigin(world.Host)));
    }

    [Fact]
    public async Task Deleting_the_sandbox_kills_its_terminals_and_leaves_no_process_behind()
    {
        var sandboxId = await world.CreateRunningSandboxAsync();
        // A number no other test uses, so the sleeping process can be found on the host by its command line.
        var seconds = TerminalJobs.UniqueSeconds();
        await using var terminal = await TerminalClient.ConnectAsync(world.Host, sandboxId, "terminal=doomed");
        await terminal.TypeAsync($"sleep {seconds} & echo sta\"\"rted\r");
        await terminal.WaitForAsync("started");
        // The echo may come before the background job has exec'd sleep: wait for it to be there, in the background.
        await TerminalJobs.WaitForSleepAsync(seconds, state: 'S', foreground: false);

        using var deleted = await world.Host.Http.DeleteAsync($"api/v1/sandboxes/{sandboxId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        var exit = await terminal.ReceiveControlAsync();
        Assert.NotNull(exit);
        Assert.Equal("exit", exit.Value.GetProperty("type").GetString());
        Assert.Empty(TerminalJobs.SleepingProcesses(seconds));
        Assert.Empty(world.Host.Service<LivePreview.Terminals.TerminalSessions>().Names(sandboxId));
    }
}
