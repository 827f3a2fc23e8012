using LivePreview.Sandboxes.Daytona;
using LivePreview.Sandboxes.Kubernetes;
using LivePreview.Sandboxes.Local;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes;

/// <summary>The providers a deployment can pick with <c>LivePreview:Sandboxes:Provider</c>.</summary>
public enum SandboxProviderKind
{
    Local,
    Kubernetes,
    Daytona,
}

public static class SandboxProviderExtensions
{
    public const string ProviderKey = SandboxOptions.Section + ":Provider";

    /// <summary>
    /// Registers the configured provider (Local when unset). An unknown name fails at start with a
    /// message that says what to set, rather than at the first sandbox.
    /// </summary>
    public static IServiceCollection AddSandboxProvider(this IServiceCollection services, IConfiguration configuration)
    {
        var configured = configuration[ProviderKey];
        var kind = Parse(configured);
        services.AddOptions<SandboxProviderSelection>().Configure(s => (s.Configured, s.Kind) = (configured, kind)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SandboxProviderSelection>, SandboxProviderSelectionValidator>();
        return kind switch
        {
            SandboxProviderKind.Daytona => services.AddDaytonaSandboxes(),
            SandboxProviderKind.Kubernetes => services.AddKubernetesSandboxes(),
            _ => services.AddLocalSandboxes(),
        };
    }

    private static SandboxProviderKind? Parse(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? SandboxProviderKind.Local
        : Enum.TryParse<SandboxProviderKind>(configured, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(configured, out _) ? kind
        : null;
}

internal sealed class SandboxProviderSelection
{
    public string? Configured { get; set; }

    public SandboxProviderKind? Kind { get; set; }
}

internal sealed class SandboxProviderSelectionValidator : IValidateOptions<SandboxProviderSelection>
{
    public ValidateOptionsResult Validate(string? name, SandboxProviderSelection options) => options.Kind switch
    {
        null => ValidateOptionsResult.Fail($"{SandboxProviderExtensions.ProviderKey} is '{options.Configured}'; use Local, Kubernetes or Daytona."),
        _ => ValidateOptionsResult.Success,
    };
}
