using System.Collections.Concurrent;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Support;

namespace LivePreview.Bench;

/// <summary>
/// Everything the bench made that outlives a measurement: sandboxes (through the API or the provider),
/// overlay mounts, copied folders, the browser. Cleaned up at the end whether the run failed or not.
/// </summary>
internal sealed class Janitor(LivePreviewHost host)
{
    private readonly ConcurrentDictionary<string, byte> _apiSandboxes = new();
    private readonly ConcurrentDictionary<string, byte> _providerSandboxes = new();
    private readonly ConcurrentDictionary<string, SandboxLayout> _overlays = new();
    private readonly ConcurrentDictionary<string, byte> _directories = new();
    private readonly ConcurrentStack<Func<Task>> _disposals = new();

    public void ApiSandbox(string id) => _apiSandboxes[id] = 0;

    public void ProviderSandbox(string id) => _providerSandboxes[id] = 0;

    public void Overlay(SandboxLayout layout) => _overlays[layout.Id] = layout;

    public void Directory(string path) => _directories[path] = 0;

    public void OnCleanUp(Func<Task> disposal) => _disposals.Push(disposal);

    /// <summary>Deletes an API sandbox now; it stays on the list if that fails, for the final clean-up.</summary>
    public async Task DeleteApiSandboxAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await host.Http.DeleteAsync($"api/v1/sandboxes/{id}", cancellationToken);
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"Deleting sandbox {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        _apiSandboxes.TryRemove(id, out _);
    }

    public async Task DeleteProviderSandboxAsync(string id, CancellationToken cancellationToken)
    {
        await host.Service<ISandboxProvider>().DeleteAsync(id, cancellationToken);
        _providerSandboxes.TryRemove(id, out _);
    }

    public async Task RemoveOverlayAsync(SandboxLayout layout, CancellationToken cancellationToken)
    {
        OverlayMount.Unmount(layout.Merged);
        if (OverlayMount.IsMounted(layout.Merged))
        {
            throw new IOException($"{layout.Merged} is still mounted.");
        }
        await HostCommand.RemoveTreeAsync(layout.Directory, cancellationToken);
        _overlays.TryRemove(layout.Id, out _);
    }

    public async Task RemoveDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        await HostCommand.RemoveTreeAsync(path, cancellationToken);
        _directories.TryRemove(path, out _);
    }

    /// <summary>Best effort over every step; false if anything could not be cleaned up.</summary>
    public async Task<bool> CleanUpAsync()
    {
        var ok = true;
        async Task Step(string what, Func<CancellationToken, Task> action)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await action(timeout.Token);
            }
            catch (Exception ex)
            {
                ok = false;
                Console.Error.WriteLine($"clean-up: {what} failed: {ex.Message}");
            }
        }

        while (_disposals.TryPop(out var disposal))
        {
            await Step("closing the browser", _ => disposal());
        }
        foreach (var id in _apiSandboxes.Keys)
        {
            await Step($"deleting sandbox {id}", ct => DeleteApiSandboxAsync(id, ct));
        }
        foreach (var id in _providerSandboxes.Keys)
        {
            await Step($"deleting provider sandbox {id}", ct => DeleteProviderSandboxAsync(id, ct));
        }
        foreach (var layout in _overlays.Values)
        {
            await Step($"unmounting {layout.Merged}", ct => RemoveOverlayAsync(layout, ct));
        }
        foreach (var path in _directories.Keys)
        {
            await Step($"removing {path}", ct => RemoveDirectoryAsync(path, ct));
        }
        // Anything the provider still holds in this run's data folder (an API delete that failed half-way, say).
        await Step("deleting leftover sandboxes", async ct =>
        {
            var provider = host.Service<ISandboxProvider>();
            foreach (var id in await provider.ListAsync(ct))
            {
                Console.Error.WriteLine($"clean-up: sandbox {id} was left over; deleting it.");
                await provider.DeleteAsync(id, ct);
            }
        });
        return ok;
    }
}
