using System.Net;
using LivePreview.DevServers;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.DevServers;

public sealed class ModuleGraphWalkerTests
{
    [Fact]
    public void Static_imports_of_a_served_module_are_its_same_origin_urls_and_not_dynamic_or_bare_ones()
    {
        const string code = """
            import { jsx } from "/node_modules/.vite/deps/react_jsx-dev-runtime.js?v=abc";
            import App from "/src/App.tsx";
            import "/src/index.css";
            export { x } from './x.js';
            import * as y from "../up.js";
            import React from "react";
            import z from "https://cdn.example.com/z.js";
            const lazy = () => import("/src/Lazy.tsx");
            """;
        var page = new Uri("http://localhost:5173/");
        var imports = ModuleGraphWalker.StaticImports(page, new Uri("http://localhost:5173/src/main.tsx"), code).Select(u => u.PathAndQuery).ToList();
        Assert.Equal(["/node_modules/.vite/deps/react_jsx-dev-runtime.js?v=abc", "/src/App.tsx", "/src/index.css", "/src/x.js", "/up.js"], imports);
    }

    [Fact]
    public async Task A_walk_fetches_every_module_reachable_from_the_page_once_and_counts_the_ones_that_fail()
    {
        var fetched = new System.Collections.Concurrent.ConcurrentBag<string>();
        var modules = new Dictionary<string, string>
        {
            ["/"] = """<html><head><script type="module" src="/main.js"></script></head></html>""",
            ["/main.js"] = """import a from "/a.js"; import "./b.js"; import gone from "/gone.js";""",
            ["/a.js"] = """import b from "/b.js"; import main from "/main.js";""",
            ["/b.js"] = """export const b = 1;""",
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.Run(async context =>
        {
            fetched.Add(context.Request.Path.Value!);
            if (modules.TryGetValue(context.Request.Path.Value!, out var body))
            {
                await context.Response.WriteAsync(body);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.Single()).Port;

        var walk = await new ModuleGraphWalker(SandboxHttpLimits.Default).WalkAsync(new IPEndPoint(IPAddress.Loopback, port), new Uri($"http://localhost:{port}/"), 100, CancellationToken.None);

        Assert.Equal(3, walk.Modules);
        Assert.Equal(1, walk.Failed);
        Assert.False(walk.Capped);
        Assert.Equal(["/", "/a.js", "/b.js", "/gone.js", "/main.js"], fetched.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_walk_stops_at_its_cap_and_says_so()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        // Every module imports two new ones: an endless graph, as a hostile dev server could serve.
        app.Run(context => context.Request.Path == "/"
            ? context.Response.WriteAsync("""<script type="module" src="/m/1.js"></script>""")
            : context.Response.WriteAsync($"import \"/m/{int.Parse(context.Request.Path.Value![3..^3]) * 2}.js\"; import \"/m/{int.Parse(context.Request.Path.Value![3..^3]) * 2 + 1}.js\";"));
        await app.StartAsync();
        var port = new Uri(app.Urls.Single()).Port;

        var walk = await new ModuleGraphWalker(SandboxHttpLimits.Default).WalkAsync(new IPEndPoint(IPAddress.Loopback, port), new Uri($"http://localhost:{port}/"), 20, CancellationToken.None);

        Assert.Equal(20, walk.Modules);
        Assert.True(walk.Capped);
    }
}
