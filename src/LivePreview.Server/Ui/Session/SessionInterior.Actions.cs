using LivePreview.AgentSessions;
using LivePreview.Auth;
using LivePreview.Questions;
using LivePreview.RateLimits;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;

namespace LivePreview.Ui.Session;

/// <summary>
/// What the session's buttons do: the same services as the API, behind the same checks — the sandbox must be the
/// user's (else the API's 404), a start asks the API's per-user limit first. Each refusal is said where its
/// button is, never thrown at the circuit.
/// </summary>
public sealed partial class SessionInterior
{
    private bool _acting;
    private ActionProblem? _startProblem;
    private ActionProblem? _toolbarProblem;
    private ActionProblem? _answerProblem;

    [Inject] private UserRateLimits RateLimits { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;

    private async Task<bool> StartAsync(SessionStart start)
    {
        _startProblem = null;
        var done = await ActAsync(async user =>
        {
            await RateLimits.EnsureAllowedAsync(UserLimit.SessionCreates, user, "UI", "/" + Navigation.ToBaseRelativePath(Navigation.Uri));
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.StartAsync(Id, new StartAgentSessionRequest(start.Agent, start.Instruction, null), user.UserId(), CancellationToken.None);
        }, problem => _startProblem = problem);
        return done;
    }

    private async Task InterruptAsync()
    {
        _toolbarProblem = null;
        await ActAsync(async user =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.InterruptAsync(Id, CancellationToken.None);
        }, problem => _toolbarProblem = problem);
    }

    private async Task<bool> ResumeAsync(string? instruction)
    {
        _toolbarProblem = null;
        return await ActAsync(async user =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            await Sessions.ResumeAsync(Id, instruction, CancellationToken.None);
        }, problem => _toolbarProblem = problem);
    }

    /// <summary>Answers as <c>POST /api/v1/sandbox/{id}/answer</c> does: the same checks, the same service, the same refusals.</summary>
    private async Task<bool> AnswerAsync(string questionId, string answer)
    {
        _answerProblem = null;
        return await ActAsync(async user =>
        {
            await Sandboxes.RequireVisibleAsync(Id, user, CancellationToken.None);
            var (_, refused) = await QuestionsApi.TakeAnswerAsync(Questions, QuestionSettings.Value, Id, questionId, answer, user.UserId(), CancellationToken.None);
            if (refused is { } r)
            {
                throw new RefusedException(new ActionProblem(r.Status, r.Title, r.Detail));
            }
        }, problem => _answerProblem = problem);
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
            refused(ex is RefusedException r ? r.Problem : ActionProblem.From(ex));
        }
        finally
        {
            _acting = false;
        }
        await LoadAsync(CancellationToken.None);
        StateHasChanged();
        return done;
    }

    /// <summary>A refusal the page words itself (an answer's outcome), carried to the one place that shows problems.</summary>
    private sealed class RefusedException(ActionProblem problem) : Exception(problem.Detail)
    {
        public ActionProblem Problem { get; } = problem;
    }
}
