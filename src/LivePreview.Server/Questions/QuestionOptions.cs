namespace LivePreview.Questions;

/// <summary>Questions agents ask the user (section <c>LivePreview:Questions</c>).</summary>
public sealed class QuestionOptions
{
    public const string Section = "LivePreview:Questions";

    /// <summary>A question nobody answered within this time is expired; the agent gets a reply saying so.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest question and answer text, in characters.</summary>
    public int MaxTextChars { get; set; } = 4000;

    /// <summary>Most choices one question may offer.</summary>
    public int MaxChoices { get; set; } = 20;
}
