using LivePreview.AgentSessions;
using LivePreview.Auth;
using LivePreview.Hosting;
using LivePreview.Instances;
using LivePreview.Questions;
using LivePreview.RateLimits;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;

namespace LivePreview.Ui.Session;

/// <summary>
/// What the session's buttons do: the same services as the API, behind the same checks — the sandbox must be the
/// user's (else the API's 404), a start asks the API's per-user limit first. Each refusal is said where its
/// button is, never thrown at the circuit. A sandbox another instance runs gets the API request itself, sent there
/// (<see cref="InstanceClient"/>): that instance's API does the same checks and its refusals read the same.
/// </summary>
public sealed partial class SessionInterior
{
    private bool _acting;
    private ActionProblem? _startProblem;
    private ActionProblem? _toolbarProblem;
    private ActionProblem? _answerProblem;

    [Inject] private UserRateLimits RateLimits { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private InstanceClient Instances { get; set; } = null!;

    private PathString SandboxPath(string action) => new($"/api/v1/sandbox/{Id}/{action}");

    private async Task<bool> StartAsync(SessionStart start)
    {
        _startProblem = null;
        var request = new StartAgentSessionRequest(start.Agent, start.Instruction, null);
        var done = await ActAsync(user => Instances.RunAsync(Id, user, async () =>
        {
            await RateLimits.EnsureAllowedAsync(UserLimit.SessionCreates, user, "UI", "/" + Navigation.ToBaseRelativePath(Navigation.Uri));
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.StartAsync(Id, request, user.UserId(), CancellationToken.None);
        }, HttpMethod.Post, SandboxPath("session"), request), problem => _startProblem = problem);
        return done;
    }

    private async Task InterruptAsync()
    {
        _toolbarProblem = null;
        await ActAsync(user => Instances.RunAsync(Id, user, async () =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.InterruptAsync(Id, CancellationToken.None);
        }, HttpMethod.Post, SandboxPath("interrupt")), problem => _toolbarProblem = problem);
    }

    private async Task<bool> ResumeAsync(string? instruction)
    {
        _toolbarProblem = null;
        return await ActAsync(user => Instances.RunAsync(Id, user, async () =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.ResumeAsync(Id, instruction, CancellationToken.None);
        }, HttpMethod.Post, SandboxPath("resume"), new ResumeAgentSessionRequest(instruction)), problem => _toolbarProblem = problem);
    }

    /// <summary>Answers as <c>POST /api/v1/sandbox/{id}/answer</c> does: the same checks, the same service, the same refusals.</summary>
    private async Task<bool> AnswerAsync(string questionId, string answer)
    {
        _answerProblem = null;
        return await ActAsync(user => Instances.RunAsync(Id, user, async () =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            var (_, refused) = await QuestionsApi.TakeAnswerAsync(Questions, QuestionSettings.Value, Id, questionId, answer, user.UserId(), CancellationToken.None);
            if (refused is { } r)
            {
                throw new ApiProblemException(r.Status, r.Title, r.Detail);
            }
        }, HttpMethod.Post, SandboxPath("answer"), new AnswerRequest(questionId, answer)), problem => _answerProblem = problem);
    }

    /// <summary>Runs one action for the signed-in user, then reads the state again (also after a refusal: it says why).</summary>
    private async Task<bool> ActAsync(Func<System.Security.Claims.ClaimsPrincipal, Task> action, Action<ActionProblem> refused)
    {
        _acting = true;
        StateHasChanged();
        var done = false;
        try
        {
            await action(await Authentication.UserAsync());
            done = true;
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, Id);
            refused(ActionProblem.From(ex));
        }
        finally
        {
            _acting = false;
        }
        await LoadAsync(CancellationToken.None);
        StateHasChanged();
        return done;
    }
}
