using LivePreview.Prototypes.Screenshots;
using LivePreview.Sandboxes.Local;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes;

public static class PrototypesExtensions
{
    public static IServiceCollection AddPrototypes(this IServiceCollection services)
    {
        services.AddOptions<PrototypeOptions>().BindConfiguration(PrototypeOptions.Section)
            .Validate(o => o.MaxPromptLength > 0 && o.MaxFixAttempts >= 0 && o.MaxExportBytes > 0, "LivePreview:Prototypes has an out-of-range value.").ValidateOnStart();
        services.AddOptions<ScreenshotOptions>().BindConfiguration(ScreenshotOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScreenshotOptions>, ScreenshotOptionsValidation>();
        services.TryAddSingleton<ChromiumScreenshotter>();
        services.TryAddSingleton<CheckpointScreenshots>();
        services.TryAddSingleton<CheckpointDiffs>();
        services.TryAddSingleton<SandboxGit>();
        services.TryAddSingleton<PreviewBuildCheck>();
        services.TryAddSingleton<GitExporter>();
        services.TryAddSingleton<PrototypeCheckpoints>();
        services.TryAddSingleton<PrototypeTurnRunner>();
        services.TryAddSingleton<PrototypeManager>();
        return services;
    }

    /// <summary>Chromium's user must not be the sandboxes' host user (which owns their writable layers).</summary>
    private sealed class ScreenshotOptionsValidation(IOptions<LocalSandboxOptions> sandboxes) : IValidateOptions<ScreenshotOptions>
    {
        public ValidateOptionsResult Validate(string? name, ScreenshotOptions options) =>
            options.Validate(sandboxes.Value.HostUid).ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
