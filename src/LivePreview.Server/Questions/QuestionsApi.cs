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
        var (question, refused) = await TakeAnswerAsync(questions, options.Value, id, request?.QuestionId, request?.Answer, user.UserId(), ct);
        return refused is { } r ? Results.Problem(statusCode: r.Status, title: r.Title, detail: r.Detail) : Results.Ok(question);
    }

    /// <summary>
    /// The answer route's checks and call, for the API and the pages alike (the caller has checked the sandbox is the user's):
    /// the answered question, or why the answer was not taken.
    /// </summary>
    public static async Task<(QuestionView? Question, (int Status, string Title, string Detail)? Refused)> TakeAnswerAsync(QuestionService questions,
        QuestionOptions options, string sandboxId, string? questionId, string? rawAnswer, string? userId, CancellationToken ct)
    {
        var answer = rawAnswer?.Trim();
        if (string.IsNullOrEmpty(answer))
        {
            return (null, (400, "Answer required", $"Give \"answer\": 1 to {options.MaxTextChars} characters."));
        }
        if (answer.Length > options.MaxTextChars)
        {
            return (null, (400, "Answer too long", $"An answer has at most {options.MaxTextChars} characters; this one has {answer.Length}."));
        }
        var (outcome, question) = await questions.AnswerAsync(sandboxId, questionId, answer, userId, ct);
        return (question, Refusal(outcome, sandboxId, questionId, question));
    }

    /// <summary>Why an answer was not taken; null when it was answered.</summary>
    private static (int Status, string Title, string Detail)? Refusal(AnswerOutcome outcome, string sandboxId, string? questionId, QuestionView? question) => outcome switch
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
