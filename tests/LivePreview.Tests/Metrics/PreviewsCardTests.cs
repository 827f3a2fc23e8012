using System.Security.Claims;
using Bunit;
using LivePreview.Events;
using LivePreview.Metrics;
using LivePreview.Persistence;
using LivePreview.Repositories;
using LivePreview.Tasks;
using LivePreview.Tests.Events;
using LivePreview.Ui;
using LivePreview.Ui.Dashboard;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Metrics;

/// <summary>The dashboard's Previews card over seeded sandbox, event and task rows in a real (migrated SQLite) database.</summary>
public sealed class PreviewsCardTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public async Task A_user_sees_availability_time_to_preview_and_install_times_of_their_own_sandboxes_and_tasks()
    {
        await using var database = await SeededAsync();
        AddAuthorization().SetAuthorized("u1").SetClaims(new Claim(ClaimTypes.NameIdentifier, "u1"));

        var card = RenderCard();

        card.WaitForAssertion(() => Assert.Contains("80%", card.Find("[data-testid=preview-availability]").TextContent));
        Assert.Contains("4 of the last 5 frontend tasks", card.Find("[data-testid=preview-availability]").TextContent);
        Assert.Equal([("repository", "github.com/acme/shop"), ("template", "react-vite")],
            card.FindAll("[data-testid=time-to-preview]").Select(r => (r.GetAttribute("data-kind"), r.GetAttribute("data-name"))));
        var shop = card.Find("[data-testid=time-to-preview][data-name='github.com/acme/shop']");
        Assert.Equal(("30 s", "50 s"), (shop.QuerySelector("[data-testid=p50]")!.TextContent, shop.QuerySelector("[data-testid=p90]")!.TextContent));
        var react = card.Find("[data-testid=time-to-preview][data-name=react-vite]");
        Assert.Equal(("4.0 s", "10 s"), (react.QuerySelector("[data-testid=p50]")!.TextContent, react.QuerySelector("[data-testid=p90]")!.TextContent));
        Assert.Equal(("1.0 s", "20 s"), (card.Find("[data-testid=install-warm]").TextContent, card.Find("[data-testid=install-cold]").TextContent));
        Assert.DoesNotContain("SECRET", card.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_sees_everyone_s_sandboxes_but_not_unclaimed_pooled_ones_or_those_older_than_the_window()
    {
        await using var database = await SeededAsync();
        AddAuthorization().SetAuthorized("admin").SetClaims(new Claim(ClaimTypes.NameIdentifier, "admin")).SetRoles(LivePreview.Auth.AuthSchemes.AdminRole);

        var card = RenderCard();

        card.WaitForAssertion(() => Assert.Equal(["github.com/acme/shop", "react-vite", "vue-vite"],
            card.FindAll("[data-testid=time-to-preview]").Select(r => r.GetAttribute("data-name"))));
        Assert.Equal("3.0 s", card.Find("[data-testid=time-to-preview][data-name=vue-vite] [data-testid=p50]").TextContent);
        Assert.Contains("4 of the last 6 frontend tasks", card.Find("[data-testid=preview-availability]").TextContent);
    }

    [Fact]
    public async Task Without_rows_the_card_says_there_is_nothing_yet()
    {
        await using var database = await EventDatabase.CreateAsync();
        Register(database);
        AddAuthorization().SetAuthorized("u1").SetClaims(new Claim(ClaimTypes.NameIdentifier, "u1"));

        var card = RenderCard();

        card.WaitForAssertion(() => Assert.Contains("no frontend task has finished yet", card.Find("[data-testid=preview-availability]").TextContent));
        Assert.NotNull(card.Find("[data-testid=no-time-to-preview]"));
        Assert.Equal(("—", "—"), (card.Find("[data-testid=install-warm]").TextContent, card.Find("[data-testid=install-cold]").TextContent));
    }

    /// <summary>Prerendered (not interactive, so no refresh timer); after every service is registered.</summary>
    private IRenderedComponent<PreviewsCard> RenderCard()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Static", isInteractive: false));
        return Render<PreviewsCard>();
    }

    private void Register(EventDatabase database)
    {
        Services.AddSingleton<TimeProvider>(_time);
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new UiOptions()));
        Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new MetricsOptions()));
        Services.AddSingleton(database.Factory);
        Services.AddSingleton<PreviewFiguresQuery>();
    }

    /// <summary>
    /// u1: react-vite sandboxes ready after 2, 4 and 10 s (the last one also ready again later), two sandboxes of one
    /// repository ready after 30 and 50 s (the first built its layer in 20 s, the second reused it in 1 s), one never ready;
    /// five frontend tasks, four with a preview, and a backend task. u2: a vue-vite sandbox ready after 3 s and a
    /// frontend task without a preview. No one: a pooled sandbox. Both: sandboxes and tasks from a month ago.
    /// </summary>
    private async Task<EventDatabase> SeededAsync()
    {
        var database = await EventDatabase.CreateAsync();
        Register(database);
        await using var db = await database.Factory.CreateDbContextAsync();
        var created = Now.AddHours(-1);
        Sandbox(db, "sbreact1", "react-vite", "u1", created, readyAfter: [2]);
        Sandbox(db, "sbreact2", "react-vite", "u1", created, readyAfter: [4]);
        Sandbox(db, "sbreact3", "react-vite", "u1", created, readyAfter: [10, 600]);
        Sandbox(db, "sbnever1", "react-vite", "u1", created, readyAfter: []);
        Sandbox(db, "sbshop01", "react-vite", "u1", created, readyAfter: [30], repository: "https://x-access-token:SECRET@github.com/acme/shop.git", install: (false, 20));
        Sandbox(db, "sbshop02", "react-vite", "u1", created.AddMinutes(5), readyAfter: [50], repository: "https://github.com/acme/shop", install: (true, 1));
        Sandbox(db, "sbvue001", "vue-vite", "u2", created, readyAfter: [3]);
        Sandbox(db, "sbpool01", "next", null, created, readyAfter: [1]);
        Sandbox(db, "sbold001", "next", "u1", Now.AddDays(-30), readyAfter: [1]);
        Sandbox(db, "sbfront1", "react-vite", "u1", created, readyAfter: [], profile: Profile(frontend: true));
        Sandbox(db, "sbback01", "node", "u1", created, readyAfter: [], profile: Profile(frontend: false));
        Task(db, "tk1", "u1", TaskState.Completed, ["vite"], preview: true);
        Task(db, "tk2", "u1", TaskState.Completed, ["frontend", "git"], preview: true);
        Task(db, "tk3", "u1", TaskState.Completed, ["react"], preview: true);
        Task(db, "tk4", "u1", TaskState.Failed, ["vite"], preview: false);
        Task(db, "tk5", "u1", TaskState.Completed, ["git"], preview: true, sandbox: "sbfront1");
        Task(db, "tk6", "u1", TaskState.Completed, ["api"], preview: false, sandbox: "sbback01");
        Task(db, "tk7", "u1", TaskState.Running, ["vite"], preview: false);
        Task(db, "tk8", "u2", TaskState.Failed, ["vue"], preview: false);
        Task(db, "tk9", "u1", TaskState.Failed, ["vite"], preview: false, updated: Now.AddDays(-30));
        await db.SaveChangesAsync();
        return database;
    }

    private static string Profile(bool frontend) => RepositoryJson.Write(new AppProfile(frontend ? "react-vite" : "node", null, null, PackageManager.Npm, null, "", "dev", 5173, frontend, []));

    private static void Sandbox(LivePreviewDbContext db, string id, string framework, string? owner, DateTimeOffset created, double[] readyAfter,
        string? repository = null, (bool Reused, double Seconds)? install = null, string? profile = null)
    {
        db.Sandboxes.Add(new SandboxRecord
        {
            Id = id, Framework = framework, Provider = "local", Owner = owner, Status = SandboxStatus.Running, CreatedAt = created, UpdatedAt = created,
            RepositoryUrl = repository, DependenciesReused = install?.Reused, InstallMs = install is { Reused: false } i ? (long)(i.Seconds * 1000) : 0, AppProfile = profile,
        });
        if (install is { } step)
        {
            Event(db, id, EventTypes.DependenciesInstalling, created.AddSeconds(2));
            Event(db, id, EventTypes.DependenciesReady, created.AddSeconds(2 + step.Seconds));
        }
        foreach (var seconds in readyAfter)
        {
            Event(db, id, EventTypes.PreviewReady, created.AddSeconds(seconds));
        }
    }

    private static void Event(LivePreviewDbContext db, string sandboxId, string type, DateTimeOffset at) =>
        db.Events.Add(new EventRecord { Type = type, EntityType = "sandbox", EntityId = sandboxId, SandboxId = sandboxId, Timestamp = at, Payload = "{}" });

    private void Task(LivePreviewDbContext db, string id, string owner, TaskState state, string[] capabilities, bool preview, string? sandbox = null, DateTimeOffset? updated = null) =>
        db.Tasks.Add(new TaskRecord
        {
            Id = id, Owner = owner, Title = id, RepositoryUrl = "https://github.com/acme/shop", BaseBranch = "main", Status = state,
            RequiredCapabilities = System.Text.Json.JsonSerializer.Serialize(capabilities), SandboxId = sandbox,
            PreviewUrl = preview ? $"http://5173-{id}.preview.localhost/" : null, CreatedAt = Now.AddHours(-2), UpdatedAt = updated ?? _time.GetUtcNow().AddMinutes(-1),
        });
}
