using System.Text;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>stdin of sandbox processes: it reaches the command untouched, EOF ends it, and the go byte travels on a pipe of its own.</summary>
public sealed class LocalSandboxInputTests : IAsyncLifetime
{
    private static readonly CancellationToken Timeout = LocalSandboxHarness.Timeout;
    private readonly LocalSandboxHarness _harness = new("10.249");

    private LocalSandboxProvider Provider => _harness.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task Cat_echoes_what_is_written_and_ends_at_eof()
    {
        var id = await _harness.CreateAsync();
        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["cat"], OpenInput: true), Timeout);
        Assert.NotNull(process.Input);

        await process.Input.WriteAsync(Encoding.UTF8.GetBytes("first line\nsecond line\n"), Timeout);
        await process.Input.FlushAsync(Timeout);
        var lines = new List<string>();
        await using var reader = process.ReadOutputAsync(Timeout).GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());
        lines.Add(reader.Current);
        Assert.False(process.Exited.IsCompleted);
        await process.Input.DisposeAsync();
        while (await reader.MoveNextAsync())
        {
            lines.Add(reader.Current);
        }

        Assert.Equal(["first line", "second line"], lines);
        Assert.Equal(0, await process.Exited.WaitAsync(Timeout));
    }

    [Fact]
    public async Task The_first_byte_of_stdin_reaches_the_command()
    {
        var id = await _harness.CreateAsync();
        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["head", "-c", "3"], OpenInput: true), Timeout);

        await process.Input!.WriteAsync("abc"u8.ToArray(), Timeout);
        await process.Input.FlushAsync(Timeout);
        var output = await CollectAsync(process);

        Assert.Equal("abc", output);
        Assert.Equal(0, await process.Exited.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_process_without_input_reads_eof_at_once_and_has_no_input_stream()
    {
        var id = await _harness.CreateAsync();
        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["sh", "-c", "cat; echo done"]), Timeout);

        Assert.Null(process.Input);
        Assert.Equal("done", await CollectAsync(process));
    }

    [Fact]
    public async Task A_process_that_never_reads_its_open_stdin_is_not_blocked()
    {
        var id = await _harness.CreateAsync();
        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["sh", "-c", "echo ran; exit 4"], OpenInput: true), Timeout);

        Assert.Equal("ran", await CollectAsync(process));
        Assert.Equal(4, await process.Exited.WaitAsync(Timeout));
    }

    [Fact]
    public async Task The_command_holds_only_stdin_stdout_and_stderr_and_is_in_the_cgroups()
    {
        var id = await _harness.CreateAsync();
        // ls lists its own descriptors: 0-2 and the one it opened for the listing; no go pipe, no memfd.
        await using var process = await Provider.StartProcessAsync(id, new SandboxProcessSpec(["sh", "-c", "ls /proc/self/fd | wc -l; cat /proc/self/cgroup"], OpenInput: true), Timeout);
        await process.Input!.DisposeAsync();
        var output = (await CollectAsync(process)).Split('\n');

        Assert.Equal("4", output[0].Trim());
        if (CgroupLimits.Existing(id).Count > 0)
        {
            Assert.Contains(output, line => line.Contains($"livepreview/{id}", StringComparison.Ordinal));
        }
    }

    private static async Task<string> CollectAsync(ISandboxProcess process)
    {
        var lines = new List<string>();
        await foreach (var line in process.ReadOutputAsync(Timeout))
        {
            lines.Add(line);
        }
        return string.Join('\n', lines);
    }
}
