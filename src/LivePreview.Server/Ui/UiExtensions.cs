using Microsoft.AspNetCore.Hosting.StaticWebAssets;

namespace LivePreview.Ui;

/// <summary>The dashboard: Blazor components rendered on the server, interactive over the Blazor circuit.</summary>
public static class UiExtensions
{
    private static readonly string AssemblyName = typeof(App).Assembly.GetName().Name!;

    public static IServiceCollection AddUi(this IServiceCollection services)
    {
        services.AddOptions<UiOptions>().BindConfiguration(UiOptions.Section)
            .Validate(o => o.IsValid(), "LivePreview:Ui has an out-of-range value.").ValidateOnStart();
        services.AddRazorComponents().AddInteractiveServerComponents();
        return services;
    }

    /// <summary>Maps the static assets (our CSS, Blazor's script) and the pages.</summary>
    public static WebApplication MapUi(this WebApplication app)
    {
        UseBuildOutputAssets(app);
        // Our CSS and scripts are public (the sign-in page needs the CSS); the pages and the circuit are not.
        app.MapStaticAssets(Path.Combine(AppContext.BaseDirectory, $"{AssemblyName}.staticwebassets.endpoints.json")).AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>
    /// Run from the build output (<c>dotnet run</c>, tests), the assets live in the source tree and the
    /// NuGet cache, listed by a runtime manifest that ASP.NET Core reads only in Development and only under
    /// the host's application name (the test runner's, under tests). Read it in every environment, by our
    /// own assembly's name. A published app has no such manifest: its assets sit in wwwroot.
    /// </summary>
    private static void UseBuildOutputAssets(WebApplication app)
    {
        var manifest = Path.Combine(AppContext.BaseDirectory, $"{AssemblyName}.staticwebassets.runtime.json");
        var alreadyLoaded = app.Environment.IsDevelopment() && app.Environment.ApplicationName == AssemblyName;
        if (File.Exists(manifest) && !alreadyLoaded)
        {
            var settings = new ConfigurationBuilder()
                .AddInMemoryCollection([new(WebHostDefaults.StaticWebAssetsKey, manifest)])
                .Build();
            StaticWebAssetsLoader.UseStaticWebAssets(app.Environment, settings);
        }
    }
}
