using Bunit;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Ui.Preview;

namespace LivePreview.Tests.Ui;

public sealed class PreviewPanelTests : BunitContext
{
    private const string Url = "http://5173-abcdefghijkl.preview.localhost:8080/";

    [Fact]
    public void A_starting_preview_shows_a_spinner_and_the_dev_servers_latest_lines_without_colour_codes()
    {
        var panel = Render<PreviewPanel>(p => p
            .Add(x => x.Preview, Preview(PreviewStatus.Starting))
            .Add(x => x.LogLines, ["> vite --port 5173", "\u001b[32mVITE v8.3.8\u001b[39m optimizing deps"]));

        Assert.Equal("starting", panel.Find("[data-testid=preview-state]").GetAttribute("data-state"));
        Assert.NotNull(panel.Find("[role=status].spinner"));
        Assert.Equal("> vite --port 5173\nVITE v8.3.8 optimizing deps", panel.Find("[data-testid=preview-logs] pre").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=preview-iframe]"));
        Assert.True(panel.Find("[data-testid=preview-refresh]").HasAttribute("disabled"));
    }

    [Fact]
    public void A_pending_preview_is_shown_as_loading_too()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Pending)));

        Assert.Equal("pending", panel.Find("[data-testid=preview-state]").GetAttribute("data-state"));
        Assert.NotNull(panel.Find("[role=status].spinner"));
        Assert.Empty(panel.FindAll("[data-testid=preview-logs]"));
    }

    [Fact]
    public void A_ready_preview_is_an_iframe_of_its_url_with_exactly_the_sandbox_flags_the_app_needs()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)));

        var frame = panel.Find("[data-testid=preview-iframe]");
        Assert.Equal("iframe", frame.LocalName);
        Assert.Equal(Url, frame.GetAttribute("src"));
        Assert.Equal("allow-scripts allow-same-origin allow-forms allow-popups", frame.GetAttribute("sandbox"));
        Assert.Equal(Url, panel.Find("[data-testid=preview-url]").TextContent);
        Assert.False(panel.Find("[data-testid=preview-refresh]").HasAttribute("disabled"));
    }

    [Fact]
    public void Open_in_new_tab_is_a_link_to_the_preview_that_cannot_reach_back_to_the_dashboard()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)));

        var link = panel.Find("[data-testid=preview-open]");
        Assert.Equal(Url, link.GetAttribute("href"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Equal("noopener", link.GetAttribute("rel"));
    }

    [Fact]
    public void Refresh_loads_a_new_frame_of_the_same_url_and_raises_nothing()
    {
        var calls = 0;
        var panel = Render<PreviewPanel>(p => p
            .Add(x => x.Preview, Preview(PreviewStatus.Ready))
            .Add(x => x.OnStop, () => calls++).Add(x => x.OnRetry, () => calls++).Add(x => x.OnStart, () => calls++));
        Assert.Equal("0", panel.Find("[data-testid=preview-iframe]").GetAttribute("data-reload"));

        panel.Find("[data-testid=preview-refresh]").Click();

        var frame = panel.Find("[data-testid=preview-iframe]");
        Assert.Equal("1", frame.GetAttribute("data-reload"));
        Assert.Equal(Url, frame.GetAttribute("src"));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void A_private_preview_waits_for_its_grant_link_and_then_frames_it()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)).Add(x => x.NeedsGrant, true));
        Assert.Empty(panel.FindAll("[data-testid=preview-iframe]"));

        panel.Render(p => p.Add(x => x.FrameUrl, Url + "?livepreview_grant=lpg_one"));

        Assert.Equal(Url + "?livepreview_grant=lpg_one", panel.Find("[data-testid=preview-iframe]").GetAttribute("src"));
        Assert.Equal(Url + "?livepreview_grant=lpg_one", panel.Find("[data-testid=preview-open]").GetAttribute("href"));
        Assert.Equal(Url, panel.Find("[data-testid=preview-url]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=preview-grant-renewal]"));
    }

    [Fact]
    public void A_renewed_grant_sets_its_cookie_without_reloading_the_frame_and_the_next_refresh_uses_it()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)).Add(x => x.NeedsGrant, true)
            .Add(x => x.FrameUrl, Url + "?livepreview_grant=lpg_one"));

        panel.Render(p => p.Add(x => x.FrameUrl, Url + "?livepreview_grant=lpg_two"));

        Assert.Equal(Url + "?livepreview_grant=lpg_one", panel.Find("[data-testid=preview-iframe]").GetAttribute("src"));
        Assert.Equal(Url + "?livepreview_grant=lpg_two", panel.Find("[data-testid=preview-grant-renewal]").GetAttribute("src"));
        panel.Find("[data-testid=preview-refresh]").Click();
        Assert.Equal(Url + "?livepreview_grant=lpg_two", panel.Find("[data-testid=preview-iframe]").GetAttribute("src"));
        Assert.Empty(panel.FindAll("[data-testid=preview-grant-renewal]"));
    }

    [Fact]
    public void A_failed_preview_says_why_and_Retry_asks_for_it_again()
    {
        var retries = 0;
        var panel = Render<PreviewPanel>(p => p
            .Add(x => x.Preview, Preview(PreviewStatus.Error, error: "The dev server exited with code 1."))
            .Add(x => x.LogLines, ["Error: Cannot find module 'vite'"])
            .Add(x => x.OnRetry, () => retries++));

        Assert.Equal("error", panel.Find("[data-testid=preview-state]").GetAttribute("data-state"));
        Assert.Equal("The dev server exited with code 1.", panel.Find("[data-testid=preview-error]").TextContent);
        Assert.Contains("Cannot find module", panel.Find("[data-testid=preview-logs]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=preview-iframe]"));

        panel.Find("[data-testid=preview-retry]").Click();

        Assert.Equal(1, retries);
    }

    [Fact]
    public void The_failure_reason_leaves_out_the_output_the_log_box_shows_and_its_colour_codes()
    {
        var error = "The dev server exited with code 1 before it was ready. Last output:\n\u001b[31mfailed to load config\u001b[39m";
        var panel = Render<PreviewPanel>(p => p
            .Add(x => x.Preview, Preview(PreviewStatus.Error, error))
            .Add(x => x.LogLines, ["\u001b[31mfailed to load config\u001b[39m"]));

        Assert.Equal("The dev server exited with code 1 before it was ready.", panel.Find("[data-testid=preview-error]").TextContent);
        Assert.Equal("failed to load config", panel.Find("[data-testid=preview-logs]").TextContent);
    }

    [Fact]
    public void Without_log_lines_the_failure_reason_keeps_the_output_it_carries()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Error, "Exited. Last output:\nboom")));

        Assert.Equal("Exited. Last output:\nboom", panel.Find("[data-testid=preview-error]").TextContent);
    }

    [Fact]
    public void A_stopped_preview_says_so_and_offers_Start_but_no_Stop()
    {
        var starts = 0;
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Stopped)).Add(x => x.OnStart, () => starts++));

        Assert.Equal("stopped", panel.Find("[data-testid=preview-state]").GetAttribute("data-state"));
        Assert.Contains("Preview stopped", panel.Markup);
        Assert.Empty(panel.FindAll("[data-testid=preview-stop]"));
        Assert.Empty(panel.FindAll("[data-testid=preview-iframe]"));

        panel.Find("[data-testid=preview-start]").Click();

        Assert.Equal(1, starts);
    }

    [Theory]
    [InlineData(PreviewStatus.Pending)]
    [InlineData(PreviewStatus.Starting)]
    [InlineData(PreviewStatus.Ready)]
    [InlineData(PreviewStatus.Error)]
    public void Stop_is_offered_while_the_preview_runs_or_failed_and_raises_OnStop(PreviewStatus status)
    {
        var stops = 0;
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(status)).Add(x => x.OnStop, () => stops++));

        panel.Find("[data-testid=preview-stop]").Click();

        Assert.Equal(1, stops);
    }

    [Fact]
    public void While_an_action_runs_its_buttons_are_disabled_and_a_refusal_is_shown()
    {
        var panel = Render<PreviewPanel>(p => p
            .Add(x => x.Preview, Preview(PreviewStatus.Error, error: "boom"))
            .Add(x => x.Busy, true)
            .Add(x => x.Notice, "Sandbox 'abc' is stopped; it must be running."));

        Assert.True(panel.Find("[data-testid=preview-retry]").HasAttribute("disabled"));
        Assert.True(panel.Find("[data-testid=preview-stop]").HasAttribute("disabled"));
        Assert.Equal("Sandbox 'abc' is stopped; it must be running.", panel.Find("[data-testid=preview-notice]").TextContent);
    }

    [Fact]
    public void Without_a_preview_the_panel_says_there_is_none()
    {
        var panel = Render<PreviewPanel>();

        Assert.Equal("none", panel.Find("[data-testid=preview-state]").GetAttribute("data-state"));
        Assert.Empty(panel.FindAll("[data-testid=preview-open]"));
    }

    [Fact]
    public void While_the_grant_is_made_the_panel_already_connects_to_the_previews_origin_and_only_to_it()
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)).Add(x => x.NeedsGrant, true));

        Assert.Empty(panel.FindAll("[data-testid=preview-iframe]"));
        var link = panel.Find("[data-testid=preview-preconnect]");
        Assert.Equal("preconnect", link.GetAttribute("rel"));
        // The origin alone: no path, and never the grant's token.
        Assert.Equal("http://5173-abcdefghijkl.preview.localhost:8080", link.GetAttribute("href"));
        Assert.False(link.HasAttribute("crossorigin"));

        panel.Render(p => p.Add(x => x.FrameUrl, Url + "?livepreview_grant=lpg_one"));
        Assert.Equal("http://5173-abcdefghijkl.preview.localhost:8080", panel.Find("[data-testid=preview-preconnect]").GetAttribute("href"));
    }

    [Theory]
    [InlineData(PreviewStatus.Stopped, "http://5173-abcdefghijkl.preview.localhost:8080/")]
    [InlineData(PreviewStatus.Error, "http://5173-abcdefghijkl.preview.localhost:8080/")]
    [InlineData(PreviewStatus.Ready, "http://localhost/preview/abcdefghijkl/5173/")]
    public void No_preconnect_for_a_preview_that_does_not_run_nor_for_a_path_preview_on_the_dashboards_own_origin(PreviewStatus status, string url)
    {
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(status, url: url)));

        Assert.Empty(panel.FindAll("[data-testid=preview-preconnect]"));
    }

    [Fact]
    public void A_dev_server_killed_by_the_memory_limit_says_so_beside_its_restart_and_the_app_stays_in_the_frame()
    {
        var crash = LivePreview.DevServers.DevServerCrash.Of(137, beforeReady: false, oomKillsAtStart: 0, new LivePreview.Sandboxes.SandboxMemoryLimit(640, 1), DateTimeOffset.UnixEpoch);
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready) with { Restarts = 1 }).Add(x => x.LastCrash, crash));

        var banner = panel.Find("[data-testid=preview-crash]");
        Assert.Equal("memory_limit", banner.GetAttribute("data-cause"));
        Assert.Contains("Killed by the memory limit", banner.TextContent, StringComparison.Ordinal);
        Assert.Contains("memory limit (640 MiB)", panel.Find("[data-testid=preview-crash-reason]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Restarted; running again (1 restart).", panel.Find("[data-testid=preview-crash-after]").TextContent);
        Assert.NotNull(panel.Find("[data-testid=preview-iframe]"));
    }

    [Fact]
    public void A_dev_server_killed_from_outside_is_a_crash_while_it_restarts_and_no_banner_shows_without_one()
    {
        var crash = LivePreview.DevServers.DevServerCrash.Of(137, beforeReady: false, oomKillsAtStart: 0, new LivePreview.Sandboxes.SandboxMemoryLimit(640, 0), DateTimeOffset.UnixEpoch);
        var panel = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Starting) with { Restarts = 2 }).Add(x => x.LastCrash, crash));

        Assert.Equal("exited", panel.Find("[data-testid=preview-crash]").GetAttribute("data-cause"));
        Assert.Contains("The dev server crashed", panel.Find("[data-testid=preview-crash]").TextContent, StringComparison.Ordinal);
        Assert.Equal("The dev server exited with code 137.", panel.Find("[data-testid=preview-crash-reason]").TextContent);
        Assert.Equal("Restarting… (2 restarts)", panel.Find("[data-testid=preview-crash-after]").TextContent);

        var fine = Render<PreviewPanel>(p => p.Add(x => x.Preview, Preview(PreviewStatus.Ready)));
        Assert.Empty(fine.FindAll("[data-testid=preview-crash]"));
    }

    private static PreviewSnapshot Preview(PreviewStatus status, string? error = null, string url = Url)
    {
        var at = new DateTimeOffset(2026, 11, 25, 17, 0, 0, TimeSpan.Zero);
        return new PreviewSnapshot("pvabcdefghij", "abcdefghijkl", 5173, url, status, error, 0, at, at,
            status == PreviewStatus.Ready ? at : null);
    }
}
