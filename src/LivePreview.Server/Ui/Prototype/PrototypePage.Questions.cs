using LivePreview.Hosting;
using LivePreview.Auth;
using LivePreview.Questions;
using LivePreview.Ui.Session;
using LivePreview.Ui.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// The question the agent waits on (its <c>ask_user</c>, a CLI's permission prompt): shown with the session page's
/// <see cref="QuestionPrompt"/>, read on load and again on each QUESTION, ANSWERED or QUESTION_EXPIRED of the sandbox,
/// answered through the same service and checks as <c>POST /api/v1/sandbox/{id}/answer</c>.
/// </summary>
public sealed partial class PrototypePage
{
    [Inject] private QuestionService Questions { get; set; } = null!;
    [Inject] private IOptions<QuestionOptions> QuestionSettings { get; set; } = null!;

    /// <summary>The sandbox's pending questions, oldest first: the first is the one shown.</summary>
    private List<QuestionView> _pending = [];
    private ActionProblem? _answerProblem;

    /// <summary>A turn runs and the agent waits for an answer.</summary>
    private bool WaitingForAnswer => _timeline.IsWorking && _pending.Count > 0;

    private async Task LoadQuestionsAsync(CancellationToken ct) =>
        _pending = [.. (await Questions.ListAsync(_record!.SandboxId, recent: 0, ct)).Where(q => q.Status == "pending").OrderBy(q => q.AskedAt)];

    /// <summary>Answers as <c>POST /api/v1/sandbox/{id}/answer</c> does: the same checks, the same service, the same refusals.</summary>
    private async Task<bool> AnswerAsync(string questionId, string answer)
    {
        _answerProblem = null;
        var sandboxId = _record!.SandboxId;
        try
        {
            // The agent that asked waits on the instance that runs the sandbox: an answer taken anywhere else would not wake it.
            var user = await Authentication.UserAsync();
            await Instances.RunAsync(sandboxId, user, async () =>
            {
                await Sandboxes.RequireVisibleAsync(sandboxId, user, CancellationToken.None);
                var (_, refused) = await QuestionsApi.TakeAnswerAsync(Questions, QuestionSettings.Value, sandboxId, questionId, answer, user.UserId(), CancellationToken.None);
                if (refused is { } r)
                {
                    throw new ApiProblemException(r.Status, r.Title, r.Detail);
                }
            }, HttpMethod.Post, new PathString($"/api/v1/sandbox/{sandboxId}/answer"), new AnswerRequest(questionId, answer));
            return true;
        }
        catch (Exception ex)
        {
            UiLog.ActionFailed(Logger, ex, _record.Id);
            _answerProblem = ActionProblem.From(ex);
            return false;
        }
        finally
        {
            // Also after a refusal: an expired or already answered question is no longer pending.
            await LoadQuestionsAsync(CancellationToken.None);
            StateHasChanged();
        }
    }
}
