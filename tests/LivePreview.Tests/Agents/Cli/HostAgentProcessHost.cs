using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using LivePreview.Agents.Cli;

namespace LivePreview.Tests.Agents.Cli;

/// <summary>
/// Runs a CLI agent as a host process over a temporary workspace and HOME, with an environment of
/// nothing but what the adapter sets: the real CLI against the fake model. At merge the service's host
/// runs the same command inside a sandbox.
/// </summary>
internal sealed class HostAgentProcessHost : IAsyncDisposable
{
    private readonly ConcurrentQueue<AgentProcessStart> _starts = new();
    private readonly ConcurrentBag<HostAgentProcess> _processes = [];

    public HostAgentProcessHost(string toolsDirectory, string anthropicBaseUrl, string openAIBaseUrl)
    {
        Root = Directory.CreateTempSubdirectory("lp-cli-agent-").FullName;
        Workspace = Directory.CreateDirectory(Path.Combine(Root, "app")).FullName;
        Home = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
        Context = new AgentSandboxContext(Workspace, Home, toolsDirectory, anthropicBaseUrl, openAIBaseUrl, ModelToken, McpUrl: null);
    }

    /// <summary>What the gateway would accept from this sandbox: the only credential the CLI gets.</summary>
    public const string ModelToken = "lps_sandbox-token-for-tests";

    public string Root { get; }

    public string Workspace { get; }

    public string Home { get; }

    public AgentSandboxContext Context { get; }

    public IReadOnlyList<AgentProcessStart> Starts => [.. _starts];

    public IAgentProcessHost For(string sandboxId) => new Bound(this, sandboxId);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        Directory.Delete(Root, recursive: true);
    }

    private sealed class Bound(HostAgentProcessHost host, string expectedSandbox) : IAgentProcessHost
    {
        public Task<AgentSandboxContext> GetContextAsync(string sandboxId, CancellationToken cancellationToken)
        {
            Assert.Equal(expectedSandbox, sandboxId);
            return Task.FromResult(host.Context);
        }

        public Task<IAgentProcess> StartAsync(string sandboxId, AgentProcessStart start, CancellationToken cancellationToken)
        {
            Assert.Equal(expectedSandbox, sandboxId);
            host._starts.Enqueue(start);
            var info = new ProcessStartInfo(start.Command[0])
            {
                WorkingDirectory = start.WorkingDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in start.Command.Skip(1))
            {
                info.ArgumentList.Add(argument);
            }
            info.Environment.Clear();
            foreach (var (name, value) in start.Environment)
            {
                info.Environment[name] = value;
            }
            var process = new HostAgentProcess(Process.Start(info) ?? throw new InvalidOperationException("The agent did not start."));
            host._processes.Add(process);
            return Task.FromResult<IAgentProcess>(process);
        }
    }

    private sealed class HostAgentProcess : IAgentProcess
    {
        private readonly Process _process;
        private readonly Queue<string> _errors = new();
        private readonly Task _errorPump;

        public HostAgentProcess(Process process)
        {
            _process = process;
            Exited = WaitAsync();
            _errorPump = Task.Run(async () =>
            {
                while (await _process.StandardError.ReadLineAsync() is { } line)
                {
                    lock (_errors)
                    {
                        _errors.Enqueue(line);
                        if (_errors.Count > 20)
                        {
                            _errors.Dequeue();
                        }
                    }
                }
            });
        }

        public Stream Input => _process.StandardInput.BaseStream;

        public string ErrorTail
        {
            get
            {
                lock (_errors)
                {
                    return string.Join('\n', _errors);
                }
            }
        }

        public Task<int> Exited { get; }

        public async IAsyncEnumerable<string> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (await _process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                yield return line;
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
                // Exited already.
            }
            await _process.WaitForExitAsync();
        }

        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
            await KillAsync();
            await _errorPump;
            _process.Dispose();
        }

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync();
            return _process.ExitCode;
        }
    }
}

/// <summary>Answers the agent's questions as the test says, and keeps them.</summary>
internal sealed class ScriptedQuestions(Func<AgentQuestion, string> answer) : IAgentQuestions
{
    private readonly ConcurrentQueue<AgentQuestion> _asked = new();

    public IReadOnlyList<AgentQuestion> Asked => [.. _asked];

    public Task<string> AskAsync(AgentQuestion question, CancellationToken cancellationToken)
    {
        _asked.Enqueue(question);
        return Task.FromResult(answer(question));
    }
}
