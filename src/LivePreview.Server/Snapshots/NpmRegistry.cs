using System.ComponentModel;
using System.Diagnostics;

namespace LivePreview.Snapshots;

/// <summary>
/// The registry snapshot builds install from: <see cref="SnapshotOptions.Registry"/>, or else the
/// host's own npm configuration, asked once. No registry name is built into the service.
/// </summary>
internal sealed class NpmRegistry(SnapshotOptions options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Uri? _registry;

    public async Task<Uri> GetAsync(CancellationToken cancellationToken)
    {
        if (_registry is { } known)
        {
            return known;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _registry ??= Validate(options.Registry is { Length: > 0 } configured ? configured : await AskNpmAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    public static Uri Validate(string text)
    {
        var trimmed = text.Trim();
        if (!Uri.TryCreate(trimmed.EndsWith('/') ? trimmed : trimmed + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || uri.UserInfo.Length > 0 || uri.Host.Length == 0)
        {
            throw new SnapshotException($"The package registry '{trimmed}' is not an http(s) URL without credentials; set {SnapshotOptions.Section}:Registry.");
        }
        return uri;
    }

    private async Task<string> AskNpmAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.NpmCommand) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["config", "get", "registry"])
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start) ?? throw new SnapshotException($"'{options.NpmCommand}' did not start.");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            string output;
            try
            {
                output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
            return process.ExitCode == 0 && output.Trim().Length > 0 ? output
                : throw new SnapshotException($"'npm config get registry' failed (exit code {process.ExitCode}); set {SnapshotOptions.Section}:Registry.");
        }
        catch (Win32Exception ex)
        {
            throw new SnapshotException($"Could not run '{options.NpmCommand}' to find the package registry: {ex.Message}; set {SnapshotOptions.Section}:Registry.", ex);
        }
    }
}
