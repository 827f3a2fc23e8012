using LivePreview.Prototypes;
using LivePreview.Tasks.Forges;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks;

public static class TasksExtensions
{
    /// <summary>The task queue, branch pushes from sandboxes and pull requests through forges and the worker that runs tasks.</summary>
    public static IServiceCollection AddTasks(this IServiceCollection services)
    {
        services.AddOptions<TaskOptions>().BindConfiguration(TaskOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TaskOptions>, TaskOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TaskQueue>();
        services.TryAddSingleton<SandboxGit>();
        services.TryAddSingleton<BranchPublisher>();
        services.AddForges();
        services.AddHostedService<TaskWorker>();
        return services;
    }
}
