using LivePreview.Repositories.Detection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Repositories;

public static class RepositoriesExtensions
{
    /// <summary>Sandboxes from repositories: app detection (<see cref="IAppDetector"/>).</summary>
    public static IServiceCollection AddRepositories(this IServiceCollection services)
    {
        services.TryAddSingleton<IAppDetector, AppDetector>();
        return services;
    }
}
