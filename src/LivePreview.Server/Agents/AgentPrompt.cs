using System.Text;
using LivePreview.Frameworks;
using Microsoft.Extensions.AI;

namespace LivePreview.Agents;

/// <summary>What a chat model is told at the start of every turn.</summary>
internal static class AgentPrompt
{
    public static List<ChatMessage> Messages(AgentTurn turn)
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, System(turn.Framework)) };
        messages.AddRange(turn.History
            .Where(m => !string.IsNullOrWhiteSpace(m.Text))
            .Select(m => new ChatMessage(m.Role == "assistant" ? ChatRole.Assistant : ChatRole.User, m.Text)));
        messages.Add(new ChatMessage(ChatRole.User, User(turn)));
        return messages;
    }

    public static string System(string framework) => $"""
        You are editing a {Describe(framework)} inside a live-preview sandbox. Its dev server is already running with hot reload: every file you write shows up in the user's preview within a second, so work in small, focused steps and leave the app working after each one.

        How to work:
        - Look before you change: list_files to find your way, read_file before editing a file.
        - For a small change to an existing file use replace_text: copy old_text exactly from the file (same spaces, indentation and line breaks) so that it occurs exactly once.
        - For a new file, or to rewrite a small one, use write_file with the COMPLETE file content.
        - If a tool returns an error, read it, fix the call and try again.

        Rules:
        - Paths are relative to the project root, such as "src/App.tsx".
        - Leave the dev server setup alone: do not edit vite.config.*, next.config.*, package.json, lock files or tsconfig. Nothing can be installed: use only the packages already there, plain CSS and the framework's own features.
        - Change only what the request needs; do not reformat or rewrite unrelated code.
        - When you are done, reply with one or two sentences saying what you changed.
        """;

    private static string User(AgentTurn turn)
    {
        if (turn.Feedback.Count == 0)
        {
            return turn.Prompt;
        }
        var text = new StringBuilder(turn.Prompt).Append("\n\nThe preview now reports these errors. Fix them:\n");
        foreach (var error in turn.Feedback)
        {
            text.Append("- ").Append(error).Append('\n');
        }
        return text.ToString();
    }

    private static string Describe(string framework) => framework switch
    {
        "react-vite" => "React + TypeScript app built with Vite (root component src/App.tsx, global styles src/index.css)",
        "vue-vite" => "Vue 3 app built with Vite (root component src/App.vue)",
        "next" => "Next.js app using the App Router (home page app/page.tsx, global styles app/globals.css)",
        _ => FrameworkCatalog.TryGet(framework, out var known) ? $"{known.DisplayName} app" : $"{framework} app",
    };
}
