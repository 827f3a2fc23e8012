using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Snapshots;

public static class SnapshotsExtensions
{
    public static IServiceCollection AddSnapshots(this IServiceCollection services)
    {
        services.AddOptions<SnapshotOptions>().BindConfiguration(SnapshotOptions.Section)
            .Validate(o => o.BuildTimeout > TimeSpan.Zero, "LivePreview:Snapshots:BuildTimeout must be positive.")
            .Validate(o => o.WarmUpTimeout > TimeSpan.Zero, "LivePreview:Snapshots:WarmUpTimeout must be positive.")
            .Validate(o => o.KeepOldSnapshots >= 0, "LivePreview:Snapshots:KeepOldSnapshots must not be negative.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.NpmCommand), "LivePreview:Snapshots:NpmCommand must not be empty.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SnapshotLayout>();
        services.TryAddSingleton<ISnapshotUsage, DatabaseSnapshotUsage>();
        services.TryAddSingleton<ISnapshotStore, SnapshotStore>();
        return services;
    }
}
