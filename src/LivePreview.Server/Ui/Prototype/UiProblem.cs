using LivePreview.Hosting;
using LivePreview.Prototypes;

namespace LivePreview.Ui.Prototype;

/// <summary>
/// A refused or failed action, said the way the API says it (ProblemDetails' title and detail, from the
/// one mapping in <see cref="ApiProblems"/>), except where a person at the page needs other words.
/// </summary>
public sealed record UiProblem(int Status, string Title, string Detail)
{
    public static UiProblem From(Exception exception)
    {
        if (exception is PromptInProgressException)
        {
            return new(409, "The agent is still working", "Wait for the current prompt to finish, or interrupt it, then send this one.");
        }
        var (status, title, detail) = ApiProblems.Map(exception);
        return new(status, title, detail);
    }
}
