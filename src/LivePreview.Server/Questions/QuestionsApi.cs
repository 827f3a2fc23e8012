using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.Hosting;
using LivePreview.Sandboxes;

namespace LivePreview.Questions;

public sealed record AnswerRequest(string? QuestionId, string? Answer);

/// <summary>The seed's answer route and the list of a sandbox's questions; both for the sandbox's owner (others get 404).</summary>
public static class QuestionsApi
{
    public static IEndpointRouteBuilder MapQuestionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandbox/{id}").WithTags("Questions");
        group.MapPost("/answer", AnswerAsync).WithSummary("Answer an agent's question (no question_id: the oldest pending one).");
        group.MapGet("/questions", ListAsync).WithSummary("The sandbox's pending questions and the most recent answered or expired ones.");
        return app;
    }

    private static async Task<IResult> AnswerAsync(string id, AnswerRequest? request, ClaimsPrincipal user, SandboxManager sandboxes, QuestionService questions,
        Microsoft.Extensions.Options.IOptions<QuestionOptions> options, CancellationToken ct)
    {
        if (await sandboxes.FindVisibleAsync(id, user, ct) is null)
        {
            return SandboxApi.NotFound(id);
        }
        var answer = request?.Answer?.Trim();
        if (string.IsNullOrEmpty(answer) || answer.Length > options.Value.MaxTextChars)
        {
            return Problems.BadRequest("Answer required", $"Give \"answer\": 1 to {options.Value.MaxTextChars} characters.");
        }
        var (outcome, question) = await questions.AnswerAsync(id, request!.QuestionId, answer, user.UserId(), ct);
        return Refusal(outcome, id, request.QuestionId, question) is { } refused
            ? Results.Problem(statusCode: refused.Status, title: refused.Title, detail: refused.Detail)
            : Results.Ok(question);
    }

    /// <summary>Why an answer was not taken, as the API and the session page both say it; null when it was answered.</summary>
    public static (int Status, string Title, string Detail)? Refusal(AnswerOutcome outcome, string sandboxId, string? questionId, QuestionView? question) => outcome switch
    {
        AnswerOutcome.Answered => null,
        AnswerOutcome.NothingPending => (409, "Nothing to answer", $"Sandbox '{sandboxId}' has no pending question. List them with GET /api/v1/sandbox/{sandboxId}/questions."),
        AnswerOutcome.NotFound => (404, "Question not found", $"Sandbox '{sandboxId}' has no question '{questionId}'. List them with GET /api/v1/sandbox/{sandboxId}/questions."),
        AnswerOutcome.AlreadyAnswered => (409, "Question already answered", $"Question '{question!.Id}' was already answered at {question.AnsweredAt:O}; its answer stands."),
        _ => (409, "Question expired", $"Question '{question!.Id}' expired at {question.ExpiresAt:O} without an answer; the agent was told. It may ask again."),
    };

    private static async Task<IResult> ListAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, QuestionService questions, CancellationToken ct) =>
        await sandboxes.FindVisibleAsync(id, user, ct) is null ? SandboxApi.NotFound(id) : Results.Ok(await questions.ListAsync(id, recent: 20, ct));
}
