using System.Security.Claims;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.StaticFiles;

namespace LivePreview.Workspaces;

public sealed record FileEntryResponse(string Path, string Name, string Type, long Size, DateTimeOffset ModifiedAt);

public sealed record DirectoryListingResponse(string Path, IReadOnlyList<FileEntryResponse> Entries);

/// <summary>
/// <c>GET|PUT|DELETE /api/v1/sandboxes/{id}/files/{path}</c>: PUT's body is the raw file content;
/// GET of a directory (or of <c>/files</c>) is a JSON listing.
/// </summary>
public static class FilesApi
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandboxes/{id}/files").WithTags("Files");
        group.MapGet("/", (string id, ClaimsPrincipal user, WorkspaceFiles files, SandboxManager sandboxes, CancellationToken ct) => GetAsync(id, "", user, files, sandboxes, ct))
            .WithSummary("List the workspace root.");
        group.MapGet("/{**path}", GetAsync).WithSummary("Read a file (raw content) or list a directory (JSON).");
        // A raw upload: the body is the file's bytes whatever Content-Type says. "*/*" matters: curl --data-binary
        // sends application/x-www-form-urlencoded, which a narrower list would answer with 415.
        group.MapPut("/{**path}", PutAsync).WithSummary("Write a whole file; the request body is the raw content (any Content-Type).")
            .Accepts<string>("application/octet-stream", "text/plain", "*/*");
        group.MapDelete("/{**path}", DeleteAsync).WithSummary("Delete a file.");
        return app;
    }

    private static async Task<IResult> GetAsync(string id, string path, ClaimsPrincipal user, WorkspaceFiles files, SandboxManager sandboxes, CancellationToken ct)
    {
        await RequireSandboxAsync(id, user, sandboxes, ct);
        return await ReadAsync(id, path, files, ct);
    }

    /// <summary>A file's raw content, or a directory's JSON listing; also serves the prototype session's files.</summary>
    internal static async Task<IResult> ReadAsync(string id, string path, WorkspaceFiles files, CancellationToken ct)
    {
        var entry = await files.StatAsync(id, path, ct);
        if (entry is null)
        {
            return NoSuchFile(path);
        }
        if (entry.IsDirectory)
        {
            var listing = await files.ListAsync(id, path, ct) ?? [];
            return Results.Ok(new DirectoryListingResponse(entry.Path, listing.Select(ToResponse).ToList()));
        }
        var stream = await files.OpenReadAsync(id, path, ct);
        if (stream is null)
        {
            return NoSuchFile(path);
        }
        var contentType = ContentTypes.TryGetContentType(entry.Name, out var known) ? known : "application/octet-stream";
        return Results.Stream(stream, contentType, lastModified: entry.ModifiedAt);
    }

    private static async Task<IResult> PutAsync(string id, string path, HttpRequest request, WorkspaceFiles files, SandboxManager sandboxes, CancellationToken ct)
    {
        await RequireSandboxAsync(id, request.HttpContext.User, sandboxes, ct);
        if (request.ContentLength > files.MaxFileBytes)
        {
            throw new FileTooLargeException(files.MaxFileBytes);
        }
        var existed = await files.StatAsync(id, path, ct) is not null;
        var entry = await files.WriteAsync(id, path, request.Body, "api", ct);
        var body = ToResponse(entry);
        // Escaped: a header value is ASCII only, and a file may be named "é.tsx" (unescaped, Kestrel refused the header: a 500 after the write).
        return existed ? Results.Ok(body) : Results.Created($"/api/v1/sandboxes/{id}/files/{string.Join('/', entry.Path.Split('/').Select(Uri.EscapeDataString))}", body);
    }

    private static async Task<IResult> DeleteAsync(string id, string path, ClaimsPrincipal user, WorkspaceFiles files, SandboxManager sandboxes, CancellationToken ct)
    {
        await RequireSandboxAsync(id, user, sandboxes, ct);
        return await files.DeleteAsync(id, path, "api", ct) ? Results.NoContent() : NoSuchFile(path);
    }

    /// <summary>Someone else's sandbox is the same 404 as an unknown one.</summary>
    private static async Task RequireSandboxAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, CancellationToken ct)
    {
        var sandbox = await sandboxes.RequireVisibleAsync(id, user, ct);
        if (sandbox.Status is Persistence.SandboxStatus.Creating or Persistence.SandboxStatus.Error)
        {
            throw new SandboxStateException($"Sandbox '{id}' is {sandbox.Status.ToString().ToLowerInvariant()}; its workspace is not available.");
        }
    }

    private static IResult NoSuchFile(string path) =>
        Hosting.Problems.NotFound("No such file", $"Nothing exists at '{path}' in the workspace. List a directory with GET .../files/{{dir}}.");

    private static FileEntryResponse ToResponse(SandboxFileEntry e) =>
        new(e.Path, e.Name, e.IsDirectory ? "directory" : "file", e.Size, e.ModifiedAt);
}
