using LivePreview.DevServers;
using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>
/// Before a pooled sandbox counts as ready, its dev server is made to transform its whole module graph once
/// (<see cref="ModuleGraphWalker"/>), so the first browser load after a claim is served from the dev server's cache
/// (<see cref="WarmPoolOptions.WarmModuleGraph"/>). Only pooled sandboxes: a cold start would wait for the walk.
/// </summary>
internal sealed partial class PoolGraphWarmer(ModuleGraphWalker walker, ISandboxProvider provider, PreviewAddress address,
    IOptionsMonitor<WarmPoolOptions> options, ILogger<PoolGraphWarmer> logger)
{
    public async Task WarmAsync(string sandboxId, FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        var o = options.CurrentValue;
        if (!o.WarmModuleGraph)
        {
            return;
        }
        try
        {
            var endpoint = await provider.GetPortEndpointAsync(sandboxId, framework.DefaultPort, cancellationToken);
            var basePath = address.Mode == PreviewUrlMode.Path ? PreviewAddress.BasePath(sandboxId, framework.DefaultPort) : "/";
            var walk = await walker.WalkAsync(endpoint, new Uri($"http://localhost:{framework.DefaultPort}{basePath}"), o.MaxWarmModules, cancellationToken);
            LogWalked(logger, sandboxId, framework.Name, walk.Modules, walk.Failed, walk.Capped, walk.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The member is ready without it (its readiness passed): a failed walk only costs the first load its cache.
            LogWalkFailed(logger, ex, sandboxId, framework.Name);
        }
    }

    [LoggerMessage(EventId = 2840, Level = LogLevel.Information,
        Message = "Pooled sandbox {SandboxId} ({Framework}): module graph walked, {Modules} modules, {Failed} not 200, capped {Capped}, {Ms:0} ms")]
    private static partial void LogWalked(ILogger logger, string sandboxId, string framework, int modules, int failed, bool capped, double ms);

    [LoggerMessage(EventId = 2841, Level = LogLevel.Warning, Message = "Pooled sandbox {SandboxId} ({Framework}): walking the module graph failed; it counts as ready without it")]
    private static partial void LogWalkFailed(ILogger logger, Exception ex, string sandboxId, string framework);
}
