using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Grants;

public static class GrantsExtensions
{
    public static IServiceCollection AddPreviewGrants(this IServiceCollection services)
    {
        services.AddOptions<GrantOptions>().BindConfiguration(GrantOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GrantOptions>, GrantOptionsValidation>();
        services.TryAddSingleton<GrantedSockets>();
        services.TryAddSingleton<PreviewGrants>();
        services.TryAddSingleton<PreviewAccess>();
        return services;
    }

    private sealed class GrantOptionsValidation : IValidateOptions<GrantOptions>
    {
        public ValidateOptionsResult Validate(string? name, GrantOptions options) =>
            options.IsValid(out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
    }
}
