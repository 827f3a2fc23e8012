namespace LivePreview.Repositories.Detection;

/// <summary>One framework detection knows: which package runs its dev server, and on which port by default.</summary>
/// <param name="Tool">The dev-server package (<c>vite</c>, <c>next</c>), null for a generic Node package run by its script.</param>
/// <param name="ViteBased">Started as <c>vite</c> with the proxy-ready flags.</param>
internal sealed record Framework(string Name, string? Tool, int DefaultPort, bool ViteBased, bool Frontend);

/// <summary>The framework table: dependencies of the app's package.json → framework. Nothing is evaluated.</summary>
internal static class Frameworks
{
    public static readonly Framework Next = new("next", "next", 3000, false, true);
    public static readonly Framework SvelteKit = new("sveltekit", "vite", 5173, true, true);
    public static readonly Framework Nuxt = new("nuxt", "nuxt", 3000, false, true);
    public static readonly Framework Astro = new("astro", "astro", 4321, false, true);
    public static readonly Framework Angular = new("angular", "@angular/cli", 4200, false, true);
    public static readonly Framework ReactRouter = new("react-router", "vite", 5173, true, true);
    public static readonly Framework Vite = new("vite", "vite", 5173, true, true);
    public static readonly Framework Node = new("node", null, 3000, false, false);

    /// <summary>Tried in this order; the first whose packages are all there wins (a Next app may also have vite for its tests).</summary>
    private static readonly (string[] Packages, Framework Framework)[] Rules =
    [
        (["next"], Next), (["@sveltejs/kit"], SvelteKit), (["nuxt"], Nuxt), (["astro"], Astro),
        (["@angular/core", "@angular/cli"], Angular), (["@react-router/dev"], ReactRouter), (["@remix-run/dev"], ReactRouter),
    ];

    /// <summary>UI libraries of <c>&lt;ui&gt;-vite</c>, in the order they are tried (the first one present wins).</summary>
    private static readonly (string Package, string Ui)[] ViteUis =
        [("react", "react"), ("vue", "vue"), ("svelte", "svelte"), ("solid-js", "solid"), ("preact", "preact"), ("lit", "lit")];

    /// <summary>Packages that make a generic Node package a web frontend.</summary>
    private static readonly string[] WebUiPackages = ["react", "vue", "svelte", "solid-js", "preact", "lit", "@angular/core", "react-scripts"];

    public static IReadOnlyList<Framework> All { get; } =
        [.. ViteUis.Select(u => Vite with { Name = $"{u.Ui}-vite" }), Vite, SvelteKit, ReactRouter, Next, Nuxt, Astro, Angular, Node];

    public static string KnownNames => string.Join(", ", All.Select(f => f.Name));

    public static Framework? Named(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>The framework told by the dependencies, with the sentence saying why; null when none of the tools is there.</summary>
    public static (Framework Framework, string Reason)? FromDependencies(IReadOnlyDictionary<string, string> dependencies)
    {
        bool Has(string package) => dependencies.ContainsKey(package);
        foreach (var (packages, framework) in Rules)
        {
            if (packages.All(Has))
            {
                return (framework, $"{string.Join(" and ", packages)} in the dependencies");
            }
        }
        if (!Has("vite"))
        {
            return null;
        }
        return ViteUis.FirstOrDefault(u => Has(u.Package)) is ({ } package, { } ui)
            ? (Named($"{ui}-vite")!, $"vite and {package} in the dependencies")
            : (Vite, "vite in the dependencies, no UI library LivePreview knows");
    }

    /// <summary>A package that a generic script starts is a frontend when it has a web UI library.</summary>
    public static bool HasWebUi(IReadOnlyDictionary<string, string> dependencies) => WebUiPackages.Any(dependencies.ContainsKey);
}
