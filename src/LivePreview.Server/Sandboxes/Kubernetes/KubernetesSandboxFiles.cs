using System.Globalization;
using System.Text;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// A pod's workspace through exec (<c>cat</c>, <c>head -c</c>, <c>find -printf</c>, <c>rm</c>), every path a positional argument.
/// Paths arrive validated and are checked again lexically (no '..', no absolute path). A symlink inside the pod can only lead
/// elsewhere inside the pod: the whole sandbox is on the other side of the container boundary, nothing runs on this machine.
/// </summary>
internal sealed class KubernetesSandboxFiles(KubernetesSandboxProvider provider, string sandboxId, KubernetesOptions options) : ISandboxFileSystem
{
    private const string TemporaryPrefix = ".lp-upload-";
    private const string ReadScript = "[ -f \"$1\" ] || exit 3; exec cat -- \"$1\"";
    // Exactly $3 bytes from stdin: a v4 server has no stdin EOF, so the length says where the file ends.
    private const string WriteScript = "mkdir -p -- \"${1%/*}\" && head -c \"$3\" > \"$2\" && mv -f -- \"$2\" \"$1\" || { rm -f -- \"$2\"; exit 1; }";
    private const string DeleteScript = "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 3; exec rm -rf -- \"$1\"";
    private const string StatScript = "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 3; exec find \"$1\" -maxdepth 0 -printf '%y %s %T@ %f\\0'";
    private const string ListScript = "[ -d \"$1\" ] || exit 3; exec find \"$1\" -mindepth 1 -maxdepth 1 -printf '%y %s %T@ %f\\0'";

    public async Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync(ReadScript, [Full(path, allowRoot: false)], null, cancellationToken);
        return code == 0 ? new MemoryStream(output, writable: false) : null;
    }

    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        var target = Full(path, allowRoot: false);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        var temp = $"{target[..target.LastIndexOf('/')]}/{TemporaryPrefix}{Guid.NewGuid():N}";
        var (code, _) = await RunAsync(WriteScript, [target, temp, buffer.Length.ToString(CultureInfo.InvariantCulture)], buffer.ToArray(), cancellationToken);
        if (code != 0)
        {
            throw new IOException($"Writing {SandboxText.Clean(path, 200)} in sandbox {sandboxId} failed (exit code {code}).");
        }
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) =>
        (await RunAsync(DeleteScript, [Full(path, allowRoot: false)], null, cancellationToken)).Code == 0;

    public async Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync(ListScript, [Full(directory, allowRoot: true)], null, cancellationToken);
        if (code != 0)
        {
            return null;
        }
        var prefix = Relative(directory);
        return [.. Parse(output).Where(e => !e.Name.StartsWith(TemporaryPrefix, StringComparison.Ordinal))
            .Select(e => e with { Path = prefix.Length == 0 ? e.Name : $"{prefix}/{e.Name}" }).OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    public async Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        var relative = Relative(path);
        var (code, output) = await RunAsync(StatScript, [Full(path, allowRoot: true)], null, cancellationToken);
        return code == 0 && Parse(output).FirstOrDefault() is { } entry
            ? entry with { Path = relative, Name = relative.Length == 0 ? "" : relative[(relative.LastIndexOf('/') + 1)..] }
            : null;
    }

    /// <summary>Entries as <c>find -printf '%y %s %T@ %f\0'</c> writes them (type, size, mtime in seconds, name).</summary>
    private static IEnumerable<SandboxFileEntry> Parse(byte[] output)
    {
        foreach (var record in Encoding.UTF8.GetString(output).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = record.Split(' ', 4);
            if (parts.Length < 4 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var size)
                || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                continue;
            }
            var isDirectory = parts[0] == "d";
            yield return new SandboxFileEntry(parts[3], parts[3], isDirectory, isDirectory ? 0 : size,
                DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Round(seconds * 1000)));
        }
    }

    private async Task<(int Code, byte[] Output)> RunAsync(string script, string[] arguments, byte[]? input, CancellationToken cancellationToken)
    {
        using var exec = await provider.ExecAsync(sandboxId, ["sh", "-c", script, "lp", .. arguments], cancellationToken);
        var output = new MemoryStream();
        var tooLarge = false;
        var pump = ExecSession.PumpAsync(exec.Output, (buffer, count) =>
        {
            if (output.Length + count > options.MaxFileBytes)
            {
                tooLarge = true;
                return;
            }
            output.Write(buffer, 0, count);
        });
        var errors = ExecSession.PumpAsync(exec.Errors, (_, _) => { });
        if (input is { Length: > 0 })
        {
            await exec.WriteInputAsync(input, cancellationToken);
        }
        await Task.WhenAll(pump, errors).WaitAsync(cancellationToken);
        var code = await exec.Exited.WaitAsync(cancellationToken) ?? KubernetesSandboxProcess.LostExitCode;
        if (tooLarge)
        {
            throw new IOException($"The file is larger than {KubernetesOptions.Section}:MaxFileBytes ({options.MaxFileBytes} bytes).");
        }
        return (code, output.ToArray());
    }

    private string Full(string path, bool allowRoot)
    {
        var relative = Relative(path);
        if (relative.Length == 0 && !allowRoot)
        {
            throw new InvalidWorkspacePathException("The path names the workspace itself, not a file in it.");
        }
        var root = options.WorkspaceDirectory.TrimEnd('/');
        return relative.Length == 0 ? root : $"{root}/{relative}";
    }

    /// <summary>The same lexical rule as the local provider's (absolute, "..", backslashes and control characters refused).</summary>
    private static string Relative(string path) => Local.RelativePath.Normalize(path);
}
