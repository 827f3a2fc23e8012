using LivePreview.Persistence;
using LivePreview.Repositories.Detection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Repositories;

public static class RepositoriesExtensions
{
    public static IServiceCollection AddRepositories(this IServiceCollection services)
    {
        services.AddOptions<RepositoryOptions>().BindConfiguration(RepositoryOptions.Section)
            .Validate(o => o.MaxCloneBytes > 0 && o.InstallTimeout > TimeSpan.Zero, "LivePreview:Repositories:MaxCloneBytes and InstallTimeout must be positive.")
            .Validate(o => o.Layers.MaxAge > TimeSpan.Zero && o.Layers.MaxTotalMb > 0, "LivePreview:Repositories:Layers:MaxAge and MaxTotalMb must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton<IAppDetector, AppDetector>();
        services.TryAddSingleton<ILayerUsage, DatabaseLayerUsage>();
        services.TryAddSingleton<IDependencyLayers, DependencyLayerStore>();
        services.TryAddSingleton<RepositoryCloner>();
        services.TryAddSingleton<RepositoryServices>();
        return services;
    }
}

/// <summary>Every layer a sandbox row still names (stopped and failed ones too: they are resumed on the same stack).</summary>
internal sealed class DatabaseLayerUsage(IDbContextFactory<LivePreviewDbContext> databases) : ILayerUsage
{
    public async Task<IReadOnlySet<string>> LayersInUseAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var ids = await db.Sandboxes.Where(s => s.DependencyLayerId != null).Select(s => s.DependencyLayerId!).Distinct().ToListAsync(cancellationToken);
        return ids.ToHashSet(StringComparer.Ordinal);
    }
}
