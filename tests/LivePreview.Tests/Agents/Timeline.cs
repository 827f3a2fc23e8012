using System.Collections.Concurrent;

namespace LivePreview.Tests.Agents;

/// <summary>One ordered record of what the fake server, the fake disk and the adapter's consumer saw.</summary>
internal sealed class Timeline
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public void Add(string entry) => _entries.Enqueue(entry);

    public int IndexOf(string entry)
    {
        var entries = Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] == entry)
            {
                return i;
            }
        }
        throw new Xunit.Sdk.XunitException($"'{entry}' is not on the timeline:\n{string.Join('\n', entries)}");
    }

    public async Task WaitForAsync(string entry, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_entries.Contains(entry))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{entry}' did not happen; timeline:\n{string.Join('\n', Entries)}");
            }
            await Task.Delay(10);
        }
    }
}
