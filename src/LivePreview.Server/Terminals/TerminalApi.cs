using System.Globalization;
using System.Text.RegularExpressions;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Terminals;

public static partial class TerminalApi
{
    public const int DefaultColumns = 80, DefaultRows = 24;

    public static IEndpointRouteBuilder MapTerminalApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/sandboxes/{id}/terminal", ConnectAsync).WithTags("Terminals")
            .WithSummary("WebSocket: a shell in the sandbox. Binary messages are raw terminal bytes both ways; text messages are JSON control: "
                + "{\"type\":\"resize\",\"cols\":C,\"rows\":R} from the client, {\"type\":\"exit\",\"code\":N} from the server. "
                + "?terminal=<name> picks or reattaches a named terminal (default 'default'); ?cols=&rows= size a new one. A reattach first gets the recent output.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex TerminalName();

    private static async Task<IResult> ConnectAsync(string id, HttpContext context, SandboxManager sandboxes, TerminalSessions terminals,
        IOptions<TerminalOptions> options, ILogger<TerminalSessions> logger, CancellationToken ct)
    {
        // Ownership first: someone else's sandbox answers exactly like one that does not exist.
        if (await sandboxes.FindVisibleAsync(id, context.User, ct) is null)
        {
            return SandboxApi.NotFound(id);
        }
        var query = context.Request.Query;
        var name = query["terminal"].Count == 0 ? TerminalSessions.DefaultName : query["terminal"].ToString();
        if (!TerminalName().IsMatch(name))
        {
            return Problems.BadRequest("Invalid terminal name", "A terminal name is 1-32 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit.");
        }
        if (!TrySize(query["cols"].ToString(), DefaultColumns, TerminalSocket.MaxColumns, out var columns) || !TrySize(query["rows"].ToString(), DefaultRows, TerminalSocket.MaxRows, out var rows))
        {
            return Problems.BadRequest("Invalid terminal size", $"cols must be 1-{TerminalSocket.MaxColumns} and rows 1-{TerminalSocket.MaxRows} (whole numbers), or left out for {DefaultColumns}x{DefaultRows}.");
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Problems.BadRequest("WebSocket required",
                $"Connect to /api/v1/sandboxes/{id}/terminal with a WebSocket (ws:// or wss://). Binary messages are terminal bytes; text messages are JSON control messages.");
        }
        await sandboxes.RequireRunningAsync(id, ct);
        var session = await terminals.OpenAsync(id, name, columns, rows, ct);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await new TerminalSocket(socket, session, options.Value, logger).RunAsync();
        return Results.Empty;
    }

    private static bool TrySize(string text, int fallback, int max, out int value)
    {
        if (text.Length == 0)
        {
            value = fallback;
            return true;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max;
    }
}
