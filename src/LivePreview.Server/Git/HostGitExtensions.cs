using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LivePreview.Git;

public static class HostGitExtensions
{
    /// <summary>The settings that <see cref="GitOptions.Credentials"/> replaced; start-up fails while they are set.</summary>
    private static readonly string[] RemovedSettings = ["LivePreview:Prototypes:GitToken", "LivePreview:Prototypes:GitUser"];

    public static IServiceCollection AddHostGit(this IServiceCollection services)
    {
        services.AddOptions<GitOptions>().BindConfiguration(GitOptions.Section)
            .Validate<IConfiguration>((_, config) => !RemovedSettings.Any(s => config[s] is not null),
                "LivePreview:Prototypes:GitToken and GitUser were replaced by per-host credentials: remove them and set LivePreview:Git:Credentials "
                + "(e.g. LivePreview__Git__Credentials__0__Host=github.com, …__0__Username=x-access-token, …__0__Token=<token>).")
            .Validate(o => o.AllowedRemotes.All(p => p.Length > 0 && (p.EndsWith('/') || p.EndsWith(':')) && !p.Any(char.IsControl)),
                "Each LivePreview:Git:AllowedRemotes prefix must end in '/' or ':' (so that https://git.corp/ does not also allow https://git.corp.evil.example).")
            .Validate(o => o.Credentials.All(c => c.Host.Length > 0 && !c.Host.Contains('/') && !c.Host.Contains('@') && c.Token.Length > 0 && c.Username.Length > 0),
                "Each LivePreview:Git:Credentials entry needs a Host (a name such as github.com, no scheme or path), a Username and a Token.")
            .Validate(o => o.Credentials.Select(c => c.Host.ToLowerInvariant()).Distinct().Count() == o.Credentials.Count,
                "LivePreview:Git:Credentials lists a host twice.")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.MaxOutputChars > 0, "LivePreview:Git has an out-of-range value.")
            .Validate(o => o.CaCertificates is null || File.Exists(o.CaCertificates), "LivePreview:Git:CaCertificates names a file that does not exist.")
            .ValidateOnStart();
        services.TryAddSingleton<HostGit>();
        services.TryAddSingleton<GitRemotePolicy>();
        return services;
    }
}
