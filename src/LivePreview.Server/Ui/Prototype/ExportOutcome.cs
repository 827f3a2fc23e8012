namespace LivePreview.Ui.Prototype;

/// <summary>How the last export went: pushed (with the commit), or refused (with why).</summary>
public abstract record ExportOutcome
{
    public sealed record Pushed(string Sha, string Branch, string Remote) : ExportOutcome;

    public sealed record Refused(UiProblem Problem) : ExportOutcome;
}
