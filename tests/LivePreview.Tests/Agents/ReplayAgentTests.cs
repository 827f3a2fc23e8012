using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Agents;

/// <summary>The recordings in replays/react-vite, played against the real react-vite template's files.</summary>
public sealed class ReplayAgentTests
{
    private const string Navbar = "add a navbar with dark mode toggle";
    private const string Hero = "make the hero section have a gradient background";

    private readonly AgentKit _kit = new();

    public ReplayAgentTests()
    {
        foreach (var file in new[] { "src/App.tsx", "src/index.css", "src/main.tsx" })
        {
            _kit.Sandbox.Seed(file, File.ReadAllText(Path.Combine(LivePreviewHost.RepositoryRoot, "templates", "react-vite", file)));
        }
    }

    [Fact]
    public async Task The_navbar_recording_adds_a_navbar_whose_toggle_flips_dark_mode()
    {
        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn("Please " + Navbar.ToUpperInvariant() + "!"));

        var navbar = _kit.Sandbox.Text("src/components/Navbar.tsx");
        Assert.NotNull(navbar);
        Assert.Contains("<nav className=\"navbar\" data-testid=\"navbar\">", navbar);
        Assert.Contains("document.documentElement.classList.toggle('dark', dark)", navbar);
        var app = _kit.Sandbox.Text("src/App.tsx")!;
        Assert.Contains("import Navbar from './components/Navbar'", app);
        Assert.Contains("<main id=\"app-root-marker\">\n      <Navbar />", app);
        Assert.Contains(":root.dark {", _kit.Sandbox.Text("src/index.css"));
        Assert.Equal(
            ["called read_file src/App.tsx", "completed read_file src/App.tsx",
             "called write_file src/components/Navbar.tsx", "completed write_file src/components/Navbar.tsx",
             "called replace_text src/App.tsx", "completed replace_text src/App.tsx",
             "called replace_text src/App.tsx", "completed replace_text src/App.tsx",
             "called replace_text src/index.css", "completed replace_text src/index.css", "turn completed"],
            events.Where(e => e is not AgentTextDelta).Select(AgentKit.Describe));
        Assert.Contains(events, e => e is AgentTextDelta);
        Assert.Equal(4, _kit.Events.OfType(EventTypes.FileChanged).Count);
        Assert.Contains("Navbar.tsx", Assert.IsType<AgentTurnCompleted>(events[^1]).Summary);
    }

    [Fact]
    public async Task The_hero_recording_wraps_the_heading_in_a_gradient_section()
    {
        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn(Hero));

        Assert.IsType<AgentTurnCompleted>(events[^1]);
        Assert.Contains("<section className=\"hero\" data-testid=\"hero\">", _kit.Sandbox.Text("src/App.tsx"));
        Assert.Contains("linear-gradient(", _kit.Sandbox.Text("src/index.css"));
    }

    [Theory]
    [InlineData(Navbar, Hero)]
    [InlineData(Hero, Navbar)]
    public async Task The_two_recordings_apply_in_either_order(string first, string second)
    {
        Assert.IsType<AgentTurnCompleted>((await _kit.RunAsync(_kit.Replay(), _kit.Turn(first)))[^1]);
        Assert.IsType<AgentTurnCompleted>((await _kit.RunAsync(_kit.Replay(), _kit.Turn(second)))[^1]);

        var app = _kit.Sandbox.Text("src/App.tsx")!;
        Assert.Contains("<Navbar />", app);
        Assert.Contains("data-testid=\"hero\"", app);
    }

    [Fact]
    public async Task Replaying_a_recording_again_stops_where_the_files_no_longer_match()
    {
        await _kit.RunAsync(_kit.Replay(), _kit.Turn(Hero));
        var app = _kit.Sandbox.Text("src/App.tsx");

        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn(Hero));

        Assert.False(events.OfType<AgentToolCompleted>().Last().Succeeded);
        Assert.Contains("no longer match", Assert.IsType<AgentFailed>(events[^1]).Message);
        Assert.Equal(app, _kit.Sandbox.Text("src/App.tsx"));
    }

    [Fact]
    public async Task A_prompt_nobody_recorded_fails_with_the_prompts_that_were()
    {
        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn("build me a spaceship"));

        var failed = Assert.IsType<AgentFailed>(Assert.Single(events));
        Assert.Contains($"\"{Navbar}\"", failed.Message);
        Assert.Contains($"\"{Hero}\"", failed.Message);
    }

    [Fact]
    public async Task A_replay_cannot_fix_errors_the_preview_reports()
    {
        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn(Navbar, feedback: ["src/App.tsx: Unexpected token"]));

        Assert.Contains("Unexpected token", Assert.IsType<AgentFailed>(Assert.Single(events)).Message);
        Assert.Empty(_kit.Events.Events);
    }

    [Fact]
    public async Task Cancelling_stops_a_replay_during_its_pauses()
    {
        _kit.Options.ReplayDelayScale = 100;
        using var cts = new CancellationTokenSource();
        var replay = _kit.Replay();
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in replay.RunTurnAsync(_kit.Turn(Navbar), cts.Token))
            {
                if (e is AgentToolCompleted)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.Null(_kit.Sandbox.Text("src/components/Navbar.tsx"));
    }

    [Fact]
    public void Without_a_replay_folder_it_says_what_to_set()
    {
        var availability = _kit.Replay(Path.Combine(Path.GetTempPath(), "no-such-replays-" + Guid.NewGuid().ToString("N"))).CheckAvailability(null);

        Assert.False(availability.Available);
        Assert.Contains("LivePreview__Agents__ReplayDirectory", availability.Problem);
    }

    [Fact]
    public async Task A_broken_recording_is_skipped_and_an_exact_one_matches_only_the_exact_prompt()
    {
        var folder = Directory.CreateTempSubdirectory("livepreview-replays-");
        try
        {
            Directory.CreateDirectory(Path.Combine(folder.FullName, "react-vite"));
            File.WriteAllText(Path.Combine(folder.FullName, "react-vite", "a-broken.json"), "{ \"prompt\": ");
            File.WriteAllText(Path.Combine(folder.FullName, "react-vite", "b-exact.json"), """
                { "prompt": "Delete main", "match": "exact", "steps": [ { "tool": "delete_file", "arguments": { "path": "src/main.tsx" } } ] }
                """);
            var replay = _kit.Replay(folder.FullName);

            var near = await _kit.RunAsync(replay, _kit.Turn("delete main"));
            var exact = await _kit.RunAsync(replay, _kit.Turn(" Delete main "));

            Assert.IsType<AgentFailed>(Assert.Single(near));
            Assert.IsType<AgentTurnCompleted>(exact[^1]);
            Assert.Null(_kit.Sandbox.Text("src/main.tsx"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Recordings_are_looked_up_by_framework()
    {
        var events = await _kit.RunAsync(_kit.Replay(), _kit.Turn(Navbar, framework: "vue-vite"));

        Assert.Contains("no recordings for vue-vite", Assert.IsType<AgentFailed>(Assert.Single(events)).Message);
    }
}
