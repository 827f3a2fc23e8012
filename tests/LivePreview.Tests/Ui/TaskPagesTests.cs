using System.Text.Json;
using Bunit;
using LivePreview.Agents;
using LivePreview.Events;
using LivePreview.Tasks;
using LivePreview.Ui.Session;
using LivePreview.Ui.Tasks;

namespace LivePreview.Tests.Ui;

/// <summary>The tasks pages' pieces with plain parameters: the list, the New task form, the detail and the steps folded from TASK_* events.</summary>
public sealed class TaskPagesTests : BunitContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_list_shows_each_task_with_its_state_repository_branch_attempts_links_and_age_and_links_its_page()
    {
        var done = Task("tkdone", TaskState.Completed, Now.AddMinutes(-5), withResult: true);
        var queued = Task("tkqueued", TaskState.Queued, Now.AddSeconds(-10));
        var list = Render<TaskList>(p => p.Add(x => x.Tasks, [queued, done]).Add(x => x.Now, Now));

        var rows = list.FindAll("[data-testid=task-row]");
        Assert.Equal(["tkqueued", "tkdone"], rows.Select(r => r.GetAttribute("data-task-id")));
        Assert.Equal("/tasks/tkdone", rows[1].QuerySelector("[data-testid=task-link]")!.GetAttribute("href"));
        Assert.Equal("completed", rows[1].QuerySelector("[data-testid=task-status]")!.GetAttribute("data-status"));
        Assert.Equal("queued", rows[0].QuerySelector("[data-testid=task-status]")!.GetAttribute("data-status"));
        Assert.Equal("https://github.com/octo/app/pull/7", rows[1].QuerySelector("[data-testid=task-pr]")!.GetAttribute("href"));
        Assert.Equal("https://pv.example/", rows[1].QuerySelector("[data-testid=task-preview]")!.GetAttribute("href"));
        Assert.Null(rows[0].QuerySelector("[data-testid=task-pr]"));
        Assert.Equal("livepreview/tkdone", rows[1].QuerySelector("[data-testid=task-branch]")!.TextContent);
        Assert.Equal("1 / 3", rows[1].QuerySelector("[data-testid=task-attempts]")!.TextContent);
        Assert.Contains("github.com/octo/app", rows[1].TextContent);
        Assert.Equal("5 min ago", rows[1].QuerySelector("[data-testid=task-age]")!.TextContent);
        Assert.Equal("just now", rows[0].QuerySelector("[data-testid=task-age]")!.TextContent);
        Assert.DoesNotContain("alice", list.Markup);

        var forAdmin = Render<TaskList>(p => p.Add(x => x.Tasks, [done]).Add(x => x.Now, Now).Add(x => x.ShowOwner, true));
        Assert.Contains("alice", forAdmin.Find("[data-testid=task-row]").TextContent);
        Assert.NotEmpty(Render<TaskList>(p => p.Add(x => x.Tasks, []).Add(x => x.Now, Now)).FindAll("[data-testid=no-tasks]"));
    }

    [Fact]
    public void The_form_sends_what_was_typed_with_the_chosen_agent_and_capabilities_shows_a_refusal_and_clears_the_title_once_queued()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        var sent = new List<CreateTaskRequest>();
        var accept = false;
        AgentStatus[] agents = [new("anthropic", false, "Set LivePreview__Agents__Anthropic__ApiKey."), new("replay", true, null)];
        var form = Render<NewTaskForm>(p => p.Add(x => x.Agents, agents).Add(x => x.DefaultAgent, "anthropic")
            .Add(x => x.OnCreate, r => { sent.Add(r); return System.Threading.Tasks.Task.FromResult(accept); }));

        Assert.False(form.Find("[data-testid=task-create]").HasAttribute("disabled"));
        Assert.Contains("LivePreview__Agents__Anthropic__ApiKey", form.Find("[data-testid=task-agent-problem]").TextContent);
        form.Find("[data-testid=task-agent]").Change("replay");
        Assert.Empty(form.FindAll("[data-testid=task-agent-problem]"));
        form.Find("[data-testid=task-title]").Input("add a navbar");
        form.Find("[data-testid=task-repository]").Input(" https://git.example/octo/app.git ");
        form.Find("[data-testid=task-base-branch]").Input("develop");
        form.Find("[data-testid=task-capability][value=vite]").Change(true);
        form.Find("[data-testid=task-capability][value=react]").Change(true);
        form.Find("form").Submit();

        var request = Assert.Single(sent);
        Assert.Equal("add a navbar", request.Title);
        Assert.Equal(new TaskRepositoryRequest("https://git.example/octo/app.git", "develop"), request.Repository);
        Assert.Equal(["react", "vite"], request.RequiredCapabilities);
        Assert.Equal("replay", request.Agent);
        // Refused: what was typed stays, to correct it.
        Assert.Equal("add a navbar", form.Find("[data-testid=task-title]").GetAttribute("value"));

        form.Render(p => p.Add(x => x.Problem, new ActionProblem(400, "Invalid base branch", "\"base_branch\" 'a..b' is not a valid branch name.")));
        Assert.Contains("Invalid base branch", form.Find("[data-testid=task-create-problem]").TextContent);

        accept = true;
        form.Find("form").Submit();
        Assert.Equal(2, sent.Count);
        Assert.Equal("", form.Find("[data-testid=task-title]").GetAttribute("value"));
        Assert.Equal("https://git.example/octo/app.git", form.Find("[data-testid=task-repository]").GetAttribute("value")?.Trim());
    }

    [Fact]
    public void The_detail_shows_the_result_links_the_sandbox_and_the_steps_and_offers_Cancel_only_before_the_task_ended()
    {
        var cancels = 0;
        var done = Task("tkdone", TaskState.Completed, Now.AddMinutes(-5), withResult: true);
        TaskStep[] steps = [.. new[]
        {
            Event(11, EventTypes.TaskClaimed, new { attempt = 1, worker = "worker-1" }),
            Event(12, EventTypes.TaskSandboxReady, new { frontend = true, preview_url = "https://pv.example/" }),
            Event(15, EventTypes.TaskAgentStarted, new { session_id = "as_1", agent = "replay" }),
            Event(19, EventTypes.TaskPushed, new { branch = "livepreview/tkdone", commit = "0123456789abcdef0123", files = 2 }),
            Event(20, EventTypes.TaskPrCreated, new { pull_request_url = "https://github.com/octo/app/pull/7", number = 7, existing = false }),
            Event(21, EventTypes.TaskCompleted, new { pull_request_url = "https://github.com/octo/app/pull/7" }),
            Event(22, EventTypes.PreviewReady, new { }),
        }.Select(TaskDisplay.Step).OfType<TaskStep>()];
        var detail = Render<TaskDetail>(p => p.Add(x => x.Task, done).Add(x => x.Steps, steps).Add(x => x.Now, Now).Add(x => x.OnCancel, () => cancels++));

        Assert.Equal("completed", detail.Find("[data-testid=task-status]").GetAttribute("data-status"));
        Assert.Equal("/sandboxes/sbtask1", detail.Find("[data-testid=task-sandbox]").GetAttribute("href"));
        Assert.Equal("https://github.com/octo/app/pull/7", detail.Find("[data-testid=task-pr]").GetAttribute("href"));
        Assert.Equal("0123456789ab", detail.Find("[data-testid=task-commit]").TextContent);
        Assert.Equal(["QUEUED", "TASK_CLAIMED", "TASK_SANDBOX_READY", "TASK_AGENT_STARTED", "TASK_PUSHED", "TASK_PR_CREATED", "TASK_COMPLETED"],
            detail.FindAll("[data-testid=task-step]").Select(s => s.GetAttribute("data-type")));
        Assert.Contains("livepreview/tkdone at 0123456789ab (2 files)", detail.Find("[data-testid=task-step][data-type=TASK_PUSHED]").TextContent);
        Assert.Contains("Attempt 1 claimed", detail.Find("[data-testid=task-step][data-type=TASK_CLAIMED]").TextContent);
        Assert.Empty(detail.FindAll("[data-testid=task-cancel]"));
        Assert.Empty(detail.FindAll("[data-testid=task-error]"));

        var running = Task("tkrun", TaskState.Running, Now.AddMinutes(-1));
        var live = Render<TaskDetail>(p => p.Add(x => x.Task, running).Add(x => x.Now, Now).Add(x => x.OnCancel, () => cancels++));
        Assert.Equal("not made yet", live.Find("[data-testid=task-facts] dd:nth-of-type(3)").TextContent.Trim());
        live.Find("[data-testid=task-cancel]").Click();
        Assert.Equal(1, cancels);
        live.Render(p => p.Add(x => x.Problem, new ActionProblem(409, "Task has ended", "Task 'tkrun' is completed already.")));
        Assert.Contains("is completed already", live.Find("[data-testid=task-action-problem]").TextContent);
    }

    [Fact]
    public void A_failure_says_its_error_and_whether_the_task_is_queued_again()
    {
        var retried = Task("tkretry", TaskState.Queued, Now.AddMinutes(-2));
        retried.Error = "Timed out: the preview was not ready.";
        retried.Attempts = 1;
        var failedStep = TaskDisplay.Step(Event(30, EventTypes.TaskFailed, new { error = retried.Error, retryable = true, status = "queued" }))!;
        var detail = Render<TaskDetail>(p => p.Add(x => x.Task, retried).Add(x => x.Steps, [failedStep]).Add(x => x.Now, Now));

        Assert.Contains("queued again", detail.Find("[data-testid=task-error]").TextContent);
        Assert.Contains("Timed out: the preview was not ready.", detail.Find("[data-testid=task-error]").TextContent);
        Assert.Contains("Attempt failed, queued again", detail.Find("[data-testid=task-step][data-type=TASK_FAILED]").TextContent);

        var failed = Task("tkfail", TaskState.Failed, Now.AddMinutes(-2));
        failed.Error = "The agent changed nothing: there is nothing to commit.";
        var final = Render<TaskDetail>(p => p.Add(x => x.Task, failed).Add(x => x.Now, Now));
        Assert.Contains("tone-danger", final.Find("[data-testid=task-error]").GetAttribute("class"));
        Assert.DoesNotContain("queued again", final.Find("[data-testid=task-error]").TextContent);
        Assert.Equal("failed", final.Find("[data-testid=task-status]").GetAttribute("data-status"));
    }

    [Fact]
    public void A_task_step_on_the_sandbox_is_worded_in_the_session_feed_as_on_the_task_page()
    {
        var item = LivePreview.Ui.Sandbox.ActivityItem.From(Event(19, EventTypes.TaskPushed, new { branch = "livepreview/tk1", commit = "0123456789abcdef", files = 1 }));
        Assert.Equal("Task: Branch pushed", item.Title);
        Assert.Equal("livepreview/tk1 at 0123456789ab (1 files)", item.Detail);
        Assert.Equal("info", item.Tone);
        Assert.Equal("danger", LivePreview.Ui.Sandbox.ActivityItem.From(Event(20, EventTypes.TaskFailed, new { error = "boom", retryable = false, status = "failed" })).Tone);
    }

    [Theory]
    [InlineData("https://github.com/octo/app.git", "github.com/octo/app")]
    [InlineData("https://127.0.0.1:4443/octo/app", "127.0.0.1:4443/octo/app")]
    [InlineData("git@github.com:octo/app.git", "github.com:octo/app")]
    public void A_repository_is_shown_without_its_scheme_and_git_suffix(string url, string shown) =>
        Assert.Equal(shown, TaskDisplay.Repository(url));

    private static TaskRecord Task(string id, TaskState state, DateTimeOffset created, bool withResult = false) => new()
    {
        Id = id, Owner = "alice", Title = "Task " + id, RepositoryUrl = "https://github.com/octo/app.git", BaseBranch = "main",
        Status = state, Attempts = withResult ? 1 : 0, MaxAttempts = 3, CreatedAt = created, UpdatedAt = created,
        SandboxId = withResult ? "sbtask1" : null, Branch = withResult ? "livepreview/" + id : null, CommitSha = withResult ? "0123456789abcdef0123" : null,
        PullRequestUrl = withResult ? "https://github.com/octo/app/pull/7" : null, PreviewUrl = withResult ? "https://pv.example/" : null,
    };

    private static LivePreviewEvent Event(long sequence, string type, object payload) =>
        new(sequence, type, EntityTypes.Task, "tkdone", "sbtask1", Now.AddSeconds(sequence), JsonSerializer.SerializeToElement(payload));
}
