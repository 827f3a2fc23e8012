using System.Text.Json;
using LivePreview.Events;
using LivePreview.Ui.Sandbox;
using LivePreview.Ui.Shared;

namespace LivePreview.Tests.Ui;

public sealed class ActivityItemTests
{
    [Fact]
    public void A_file_edit_says_which_file_and_who_changed_it()
    {
        var item = ActivityItem.From(Event(EventTypes.FileChanged, new { path = "src/App.tsx", size = 120, source = "api" }));

        Assert.Equal(("Edited src/App.tsx", "by api", ActivityKind.Files), (item.Title, item.Detail, item.Kind));
    }

    [Fact]
    public void Dev_server_output_keeps_its_lines_without_colour_codes_or_framing_blank_lines()
    {
        var item = ActivityItem.From(Event(EventTypes.DevServerLog, new { lines = new[] { "", "  \u001b[32mVITE\u001b[39m ready in 325 ms", "", "  ➜  Local: http://localhost:5173/", " " } }));

        Assert.Equal(ActivityKind.Output, item.Kind);
        Assert.Equal(["  VITE ready in 325 ms", "", "  ➜  Local: http://localhost:5173/"], item.Lines);
    }

    [Fact]
    public void A_repository_sandbox_s_steps_are_said_in_words()
    {
        var cloned = ActivityItem.From(Event(EventTypes.RepositoryCloned, new { details = new { url = "https://git.example/app.git", branch = "main", commit = "0123456789abcdef0123456789abcdef01234567" } }));
        var detected = ActivityItem.From(Event(EventTypes.AppDetected, new { details = new { profile = new { framework = "svelte-vite", package_manager = "pnpm", port = 5173 } } }));
        var installing = ActivityItem.From(Event(EventTypes.DependenciesInstalling, new { details = new { layer = "ab12", reused = false, command = "pnpm install --frozen-lockfile" } }));
        var output = ActivityItem.From(Event(EventTypes.DependenciesProgress, new { details = new { layer = "ab12", line = "\u001b[32mProgress\u001b[39m: resolved 120" } }));
        var ready = ActivityItem.From(Event(EventTypes.DependenciesReady, new { details = new { layer = "ab12", reused = false, install_ms = 12_300 } }));
        var reused = ActivityItem.From(Event(EventTypes.DependenciesReady, new { details = new { layer = "ab12", reused = true, install_ms = 0 } }));

        Assert.Equal(("Repository cloned", "https://git.example/app.git · 0123456"), (cloned.Title, cloned.Detail));
        Assert.Equal(("App detected", "svelte-vite · pnpm · port 5173"), (detected.Title, detected.Detail));
        Assert.Equal(("Installing dependencies", "pnpm install --frozen-lockfile"), (installing.Title, installing.Detail));
        Assert.Equal((ActivityKind.Output, "Progress: resolved 120"), (output.Kind, Assert.Single(output.Lines)));
        Assert.Equal(("Dependencies installed", "12.3 s"), (ready.Title, ready.Detail));
        Assert.Equal(("Dependencies ready (layer reused)", null), (reused.Title, reused.Detail));
    }

    [Fact]
    public void A_painted_hot_update_says_how_long_the_edit_took_to_reach_the_screen()
    {
        var updated = ActivityItem.From(Event(EventTypes.PreviewUpdated, new
        {
            port = 5173, kind = "update", paths = new[] { "/src/App.tsx" }, received_to_applied_ms = 21.4, received_to_painted_ms = 38.6,
            edit_to_report_ms = 142.2, edit = new { sequence = 12, path = "src/App.tsx", source = "agent" },
        }));
        var unmatched = ActivityItem.From(Event(EventTypes.PreviewUpdated, new { port = 5173, kind = "reload", received_to_painted_ms = 90, edit_to_report_ms = (double?)null }));

        Assert.Equal(("Preview updated in 142 ms", "src/App.tsx · painted 39 ms after the update arrived", "success"), (updated.Title, updated.Detail, updated.Tone));
        Assert.Equal(("Preview reloaded", "painted 90 ms after the update arrived"), (unmatched.Title, unmatched.Detail));
    }

    [Fact]
    public void A_failed_preview_shows_the_first_line_of_its_error()
    {
        var item = ActivityItem.From(Event(EventTypes.PreviewFailed, new { port = 5173, error = "The dev server exited.\nLast output:\nboom" }));

        Assert.Equal(("Preview failed", "The dev server exited.", "danger"), (item.Title, item.Detail, item.Tone));
    }

    [Fact]
    public void A_sandbox_that_comes_back_from_stopped_is_said_to_have_started()
    {
        var resumed = ActivityItem.From(Event(EventTypes.SandboxCreated, new { sandbox_id = "sb1", details = new { resumed = true } }));
        var created = ActivityItem.From(Event(EventTypes.SandboxCreated, new { sandbox_id = "sb1", details = new { snapshot_id = "react-vite-1" } }));

        Assert.Equal(("Sandbox started", "Sandbox ready"), (resumed.Title, created.Title));
    }

    [Fact]
    public void An_event_type_the_ui_does_not_know_is_shown_by_its_name()
    {
        var item = ActivityItem.From(Event("AGENT_TURN_STARTED", null));

        Assert.Equal(("AGENT_TURN_STARTED", ActivityKind.Lifecycle), (item.Title, item.Kind));
    }

    [Theory]
    [InlineData(10, "just now")]
    [InlineData(100, "2 min ago")]
    [InlineData(3 * 3600 + 60, "3 h ago")]
    [InlineData(3 * 86400, "Nov 22, 2026")]
    public void Times_are_said_relative_to_now_then_as_a_date(int secondsAgo, string expected)
    {
        var now = new DateTimeOffset(2026, 11, 25, 17, 0, 0, TimeSpan.Zero);

        Assert.Equal(expected, Display.Ago(now.AddSeconds(-secondsAgo), now));
    }

    [Fact]
    public void Detected_ports_say_their_port_and_a_loopback_only_one_its_hint()
    {
        var reachable = ActivityItem.From(Event(EventTypes.PortOpened, new { port = 3001, address = "0.0.0.0", reachable = true, preview_id = "pv2", hint = (string?)null }));
        var loopback = ActivityItem.From(Event(EventTypes.PortOpened, new { port = 4000, address = "127.0.0.1", reachable = false, preview_id = (string?)null, hint = "listen on 0.0.0.0" }));
        var refused = ActivityItem.From(Event(EventTypes.PortRefused, new { port = 7006, reason = "5 ports are open" }));

        Assert.Equal(("Port 3001 opened", "0.0.0.0", "info"), (reachable.Title, reachable.Detail, reachable.Tone));
        Assert.Equal(("Port 4000 opened", "listen on 0.0.0.0", "muted"), (loopback.Title, loopback.Detail, loopback.Tone));
        Assert.Equal(("Port 7006 not previewed", "5 ports are open", "danger"), (refused.Title, refused.Detail, refused.Tone));
        Assert.Equal("Port 3001 closed", ActivityItem.From(Event(EventTypes.PortClosed, new { port = 3001 })).Title);
    }

    private static LivePreviewEvent Event(string type, object? payload) =>
        new(7, type, "preview", "pv1", "sb1", DateTimeOffset.UnixEpoch, payload is null ? null : JsonSerializer.SerializeToElement(payload));
}
