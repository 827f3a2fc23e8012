using LivePreview.Hosting;

namespace LivePreview.Ui.Session;

/// <summary>A refused or failed action of the session page, said as the API says it (ProblemDetails' title and detail).</summary>
public sealed record ActionProblem(int Status, string Title, string Detail)
{
    public static ActionProblem From(Exception exception)
    {
        var (status, title, detail) = ApiProblems.Map(exception);
        return new(status, title, detail);
    }
}
