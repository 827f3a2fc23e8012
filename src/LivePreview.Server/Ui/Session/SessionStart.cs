namespace LivePreview.Ui.Session;

/// <summary>What the start form asks for: an agent by name and its instruction.</summary>
public sealed record SessionStart(string Agent, string Instruction);
