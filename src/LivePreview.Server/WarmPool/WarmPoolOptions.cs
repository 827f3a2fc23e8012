using LivePreview.Frameworks;
using Microsoft.Extensions.Options;

namespace LivePreview.WarmPool;

/// <summary>
/// Sandboxes kept running with their dev server ready, so a prototyping session starts at once
/// (section <c>LivePreview:WarmPool</c>). Memory is what limits how many: an idle Vite sandbox holds
/// roughly 140–245 MB, an idle Next one about 450 MB (FIELD-NOTES, "many at once").
/// </summary>
public sealed class WarmPoolOptions
{
    public const string Section = "LivePreview:WarmPool";

    /// <summary>Ready sandboxes kept per pooled framework unless the framework sets its own size. 0 turns the whole pool off.</summary>
    public int Size { get; set; } = 2;

    /// <summary>
    /// The frameworks pooled, by name (<c>Frameworks:next:Size</c>). A framework's own <see cref="FrameworkPoolOptions.Size"/>
    /// overrides <see cref="Size"/>; 0 leaves it out of the pool. By default react-vite and vue-vite keep
    /// <see cref="Size"/> each and next keeps 1: a Next dev server costs about twice the memory of a Vite one.
    /// </summary>
    public Dictionary<string, FrameworkPoolOptions> Frameworks { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [FrameworkCatalog.ReactVite.Name] = new(),
        [FrameworkCatalog.VueVite.Name] = new(),
        [FrameworkCatalog.Next.Name] = new() { Size = 1 },
    };

    /// <summary>Pooled sandboxes provisioned at the same time, over all frameworks; the rest wait, so refilling never starves the machine.</summary>
    public int MaxParallelStarts { get; set; } = 2;

    /// <summary>How often pooled sandboxes are checked (preview state, provider health, age, snapshot).</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A pooled sandbox not claimed within this time is replaced by a fresh one.</summary>
    public TimeSpan MaxIdleAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long provisioning a pooled sandbox may take until its preview is ready before it is given up.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait after a failed start before the framework's next one; doubles with each failure in a row, up to 5 minutes.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>No pooled sandbox is started while the machine has less memory available than this (MiB, MemAvailable); 0 disables the check.</summary>
    public int MinAvailableMemoryMb { get; set; } = 2048;

    /// <summary>How long a measured memory figure of a pooled sandbox is reused (reading it lists the sandbox's processes).</summary>
    public TimeSpan MemorySampleAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A pooled sandbox counts as ready only after the host has fetched its page and every module the page imports
    /// statically, once (<see cref="PoolGraphWarmer"/>): the dev server has then transformed the whole graph, and the
    /// first browser load after a claim is served from its cache instead of waiting for each transform (issue 15).
    /// Off by default until bench/LivePreview.PaintBench shows it pays on a quiet machine: on the loaded one it was
    /// measured on (load 29–50 on 2 cores) the dev server's time was CPU starvation, not transforms (bench/README.md).
    /// </summary>
    public bool WarmModuleGraph { get; set; }

    /// <summary>Modules fetched at most by one walk of <see cref="WarmModuleGraph"/> (a sandbox's app may be large, or hostile).</summary>
    public int MaxWarmModules { get; set; } = 500;

    /// <summary>The pool size of <paramref name="framework"/>: 0 when it is not pooled.</summary>
    public int TargetSize(string framework) =>
        Size <= 0 || !Frameworks.TryGetValue(framework, out var own) ? 0 : Math.Max(0, own.Size ?? Size);

    /// <summary>Frameworks with a size above zero.</summary>
    public IReadOnlyList<FrameworkDefinition> Pooled() => FrameworkCatalog.All.Where(f => TargetSize(f.Name) > 0).ToList();

    internal IEnumerable<string> Problems()
    {
        foreach (var name in Frameworks.Keys.Where(n => !FrameworkCatalog.TryGet(n, out _)))
        {
            yield return $"{Section}:Frameworks:{name} is not a framework; use one of {FrameworkCatalog.Names}.";
        }
        if (Size < 0 || Frameworks.Values.Any(f => f.Size < 0))
        {
            yield return $"{Section}:Size and Frameworks:*:Size must be 0 (off) or positive.";
        }
        if (MaxParallelStarts <= 0)
        {
            yield return $"{Section}:MaxParallelStarts must be positive.";
        }
        if (HealthInterval <= TimeSpan.Zero || MaxIdleAge <= TimeSpan.Zero || StartTimeout <= TimeSpan.Zero || RetryBackoff <= TimeSpan.Zero || MemorySampleAge <= TimeSpan.Zero)
        {
            yield return $"{Section}: HealthInterval, MaxIdleAge, StartTimeout, RetryBackoff and MemorySampleAge must be positive.";
        }
        if (MaxWarmModules <= 0)
        {
            yield return $"{Section}:MaxWarmModules must be positive (turn the walk off with WarmModuleGraph=false).";
        }
        if (MinAvailableMemoryMb < 0)
        {
            yield return $"{Section}:MinAvailableMemoryMb must be 0 (no check) or positive.";
        }
    }
}

/// <summary>Pool settings of one framework (<c>LivePreview:WarmPool:Frameworks:{name}</c>).</summary>
public sealed class FrameworkPoolOptions
{
    /// <summary>Ready sandboxes kept for this framework; null means <see cref="WarmPoolOptions.Size"/>, 0 leaves it out.</summary>
    public int? Size { get; set; }
}

internal sealed class WarmPoolOptionsValidator : IValidateOptions<WarmPoolOptions>
{
    public ValidateOptionsResult Validate(string? name, WarmPoolOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
