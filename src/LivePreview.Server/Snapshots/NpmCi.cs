using LivePreview.Egress;
using LivePreview.Sandboxes;

namespace LivePreview.Snapshots;

/// <summary>
/// Runs <c>npm ci</c> inside a build sandbox, streaming its output lines. The sandbox gets an
/// egress grant for the registry only, and an environment of nothing but npm settings: no variable of
/// the service (API keys, git tokens) is passed — the provider starts sandbox processes with a cleared
/// environment and these are the only additions.
/// </summary>
internal sealed class NpmCi(ISandboxProvider provider, IEgressPolicy egress, NpmRegistry registry, SnapshotOptions options)
{
    /// <summary>Inside the sandbox: its private /tmp, gone with the process.</summary>
    public const string CacheDirectory = "/tmp/npm-cache";

    // --include=dev: Vite is a devDependency and must be installed whatever NODE_ENV says.
    // --ignore-scripts: no package in the three templates' lock files has an install script
    // (no "hasInstallScript"); esbuild, rolldown, Next's swc and sharp ship prebuilt binaries as
    // optional dependencies. So scripts would add nothing but a place for hostile code to run.
    private static readonly string[] Arguments = ["ci", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"];

    public Task RunAsync(string sandboxId, Func<string, Task> onLine, CancellationToken ct) =>
        RunAsync(sandboxId, [options.NpmCommand, .. Arguments], null, options.BuildTimeout, "LivePreview:Snapshots:BuildTimeout", onLine, ct);

    /// <summary>
    /// Runs any install command (npm, pnpm, yarn, bun: an argument list) in <paramref name="workingDirectory"/> of the
    /// sandbox with the same grant and environment; a failure says what the command printed last.
    /// </summary>
    /// <exception cref="SnapshotException">The command failed or did not finish within <paramref name="timeout"/>.</exception>
    public async Task RunAsync(string sandboxId, IReadOnlyList<string> command, string? workingDirectory, TimeSpan timeout, string timeoutSetting,
        Func<string, Task> onLine, CancellationToken ct, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var registryUri = await registry.GetAsync(ct);
        await using var grant = await egress.GrantAsync(sandboxId, [new EgressTarget(registryUri.Host, registryUri.Port)], ct);
        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        var name = string.Join(' ', command.Take(2).Select(Path.GetFileName));
        var process = await provider.StartProcessAsync(sandboxId, new SandboxProcessSpec(command, Merge(extraEnvironment, Environment(registryUri, grant.ProxyUri)), workingDirectory), ct);
        await using (process)
        {
            var summary = new FailureSummary();
            try
            {
                await foreach (var line in process.ReadOutputAsync(linked.Token))
                {
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        continue;
                    }
                    summary.Add(line);
                    await onLine(line);
                }
                var exitCode = await process.Exited.WaitAsync(linked.Token);
                if (exitCode != 0)
                {
                    throw new SnapshotException($"{name} failed with exit code {exitCode}:{System.Environment.NewLine}{summary}");
                }
            }
            catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new SnapshotException($"{name} did not finish within {timeout.TotalMinutes:0.#} min ({timeoutSetting}).");
            }
            finally
            {
                await process.KillAsync();
            }
        }
    }

    /// <summary>The package manager's own settings (the detector's), under ours: registry, cache and proxy are always the service's.</summary>
    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? extra, Dictionary<string, string> ours)
    {
        var merged = new Dictionary<string, string>(extra ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (name, value) in ours)
        {
            merged[name] = value;
        }
        return merged;
    }

    /// <summary>Everything npm needs and nothing else; both spellings of the proxy variables, as tools differ in which they read.</summary>
    public static Dictionary<string, string> Environment(Uri registryUri, Uri proxy)
    {
        var proxyText = proxy.ToString().TrimEnd('/');
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["npm_config_registry"] = registryUri.ToString(),
            ["npm_config_cache"] = CacheDirectory,
            ["npm_config_update_notifier"] = "false",
            ["npm_config_progress"] = "false",
            ["HTTPS_PROXY"] = proxyText,
            ["HTTP_PROXY"] = proxyText,
            ["https_proxy"] = proxyText,
            ["http_proxy"] = proxyText,
        };
    }

    /// <summary>
    /// What to tell the user when npm fails: its first "npm error" lines (the cause; the usage text
    /// npm prints after it is noise), or the last lines when it printed none.
    /// </summary>
    private sealed class FailureSummary
    {
        private const int MaxLines = 8;
        private const string ErrorPrefix = "npm error ";
        private readonly List<string> _errors = [];
        private readonly Queue<string> _tail = new();

        public void Add(string line)
        {
            if (line.StartsWith(ErrorPrefix, StringComparison.Ordinal) && line.Length > ErrorPrefix.Length && _errors.Count < MaxLines)
            {
                _errors.Add(line);
            }
            _tail.Enqueue(line);
            if (_tail.Count > MaxLines)
            {
                _tail.Dequeue();
            }
        }

        public override string ToString() => string.Join(System.Environment.NewLine, _errors.Count > 0 ? _errors : _tail);
    }
}
