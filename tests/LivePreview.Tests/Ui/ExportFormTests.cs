using Bunit;
using LivePreview.Prototypes;
using LivePreview.Ui.Prototype;

namespace LivePreview.Tests.Ui;

public sealed class ExportFormTests : BunitContext
{
    [Fact]
    public void Submitting_raises_OnExport_with_the_remote_the_default_branch_and_the_message()
    {
        var requests = new List<ExportRequestData>();
        var form = Render<ExportForm>(p => p.Add(x => x.DefaultBranch, "prototype/ps1").Add(x => x.OnExport, r => requests.Add(r)));
        Assert.True(form.Find("[data-testid=export-submit]").HasAttribute("disabled"));

        form.Find("[data-testid=export-remote]").Input(" /srv/git/app.git ");
        form.Find("[data-testid=export-message]").Input("First cut");
        form.Find("form").Submit();

        Assert.Equal([new ExportRequestData("/srv/git/app.git", "prototype/ps1", "First cut")], requests);
    }

    [Fact]
    public void A_push_shows_the_commit_and_a_refusal_shows_the_problems_title_and_detail()
    {
        var form = Render<ExportForm>(p => p.Add(x => x.DefaultBranch, "b")
            .Add(x => x.Result, new ExportOutcome.Pushed("2deddf4860f4d431033164e9b47d5af8d0c04807", "prototype/e2e", "/srv/git/app.git")));

        Assert.Equal("ok", form.Find("[data-testid=export-result]").GetAttribute("data-state"));
        Assert.Equal("2deddf4860f4d431033164e9b47d5af8d0c04807", form.Find("[data-testid=export-sha]").TextContent);

        form.Render(p => p.Add(x => x.Result, new ExportOutcome.Refused(new UiProblem(409, "Export failed", "The remote rejected the push to that branch."))));

        var result = form.Find("[data-testid=export-result]");
        Assert.Equal(("error", "409"), (result.GetAttribute("data-state"), result.GetAttribute("data-status")));
        Assert.Contains("The remote rejected the push to that branch.", result.TextContent);
    }

    [Fact]
    public void While_the_agent_works_nothing_is_exported()
    {
        var requests = new List<ExportRequestData>();
        var form = Render<ExportForm>(p => p.Add(x => x.DefaultBranch, "b").Add(x => x.Disabled, true).Add(x => x.OnExport, r => requests.Add(r)));
        form.Find("[data-testid=export-remote]").Input("/srv/git/app.git");

        form.Find("form").Submit();

        Assert.Empty(requests);
        Assert.True(form.Find("[data-testid=export-submit]").HasAttribute("disabled"));
    }
}
