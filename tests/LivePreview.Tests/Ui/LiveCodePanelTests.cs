using Bunit;
using LivePreview.Events;
using LivePreview.Tests.Agents;
using LivePreview.Tests.Snapshots;
using LivePreview.Ui;
using LivePreview.Ui.Prototype;
using LivePreview.Workspaces;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Ui;

public sealed class LiveCodePanelTests : BunitContext, IAsyncLifetime
{
    private LivePreview.Tests.Support.LoneInstance _instance = null!;

    private readonly InMemorySandbox _sandbox = new(new Timeline());
    private readonly RecordingEventBus _bus = new();

    public LiveCodePanelTests()
    {
        _sandbox.Seed("src/App.tsx", "<h1>Hello</h1>").Seed("src/main.tsx", "import App from './App'").Seed("package.json", "{}")
            .Seed("node_modules/react/index.js", "module.exports = {}").Seed(".git/HEAD", "ref: refs/heads/main").Seed(".vite/deps/_metadata.json", "{}");
        Services.AddSingleton<IEventBus>(_bus);
        // Made in InitializeAsync (it needs a database), asked for when the panel renders.
        Services.AddSingleton(_ => _instance.Client);
        Services.AddSingleton(new WorkspaceFiles(_sandbox, _bus, Microsoft.Extensions.Options.Options.Create(new WorkspaceFilesOptions())));
        Services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new UiOptions()));
        // The panel streams the signed-in user's events only; an admin's filter is the sandbox's alone.
        AddAuthorization().SetAuthorized("admin").SetRoles(LivePreview.Auth.AuthSchemes.AdminRole);
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>The panel asks which instance runs its sandbox: this lone one, so it reads and writes here.</summary>
    public async Task InitializeAsync()
    {
        _instance = await LivePreview.Tests.Support.LoneInstance.CreateAsync(_bus);
    }

    async Task IAsyncLifetime.DisposeAsync() => await _instance.DisposeAsync();

    [Fact]
    public void The_tree_leaves_out_dependencies_and_git_and_the_app_file_opens_first()
    {
        var panel = Render<LiveCodePanel>(p => p.Add(x => x.SandboxId, "sbcode"));

        panel.WaitForAssertion(() => Assert.Equal(["src/App.tsx", "src/main.tsx", "package.json"],
            panel.FindAll("[data-testid=code-file]").Select(f => f.GetAttribute("data-path"))));
        Assert.Equal("<h1>Hello</h1>", panel.Find("[data-testid=code-editor]").GetAttribute("value"));
        Assert.DoesNotContain(_sandbox.Calls, c => c.Contains("node_modules/react", StringComparison.Ordinal));
    }

    [Fact]
    public void Save_writes_the_file_through_WorkspaceFiles_as_the_code_panel()
    {
        var panel = Render<LiveCodePanel>(p => p.Add(x => x.SandboxId, "sbcode"));
        panel.WaitForAssertion(() => panel.Find("[data-testid=code-editor]"));

        panel.Find("[data-testid=code-editor]").Input("<h1>Edited</h1>");
        panel.Find("[data-testid=code-save]").Click();

        panel.WaitForAssertion(() => Assert.Equal("<h1>Edited</h1>", _sandbox.Text("src/App.tsx")));
        var changed = Assert.Single(_bus.OfType(EventTypes.FileChanged));
        Assert.Equal(("src/App.tsx", "code-panel"), (changed.EntityId, changed.Payload!.Value.GetProperty("source").GetString()));
        panel.WaitForAssertion(() => Assert.StartsWith("Saved", panel.Find("[data-testid=code-status]").TextContent));
    }
}
