using System.Threading.Channels;
using LivePreview.Sandboxes;

namespace LivePreview.DevServers;

/// <summary>
/// Keeps the last lines a dev server wrote and publishes them in small batches, so a chatty server
/// costs one event per batch rather than one per line.
/// </summary>
internal sealed class LogTail(int capacity, Func<IReadOnlyList<string>, Task> publish)
{
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(250);
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) { return _lines.ToArray(); } }
    }

    public string Describe()
    {
        var last = Lines.TakeLast(15).ToArray();
        return last.Length == 0 ? "" : " Last output:\n" + string.Join('\n', last);
    }

    /// <summary>Reads the process's output until it ends; a batch is published once the output pauses for the batch window.</summary>
    public async Task PumpAsync(ISandboxProcess process, CancellationToken cancellationToken)
    {
        var pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reading = ReadAsync(process, pending.Writer, cancellationToken);
        while (await pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await Task.Delay(BatchWindow, CancellationToken.None);
            var batch = new List<string>();
            while (pending.Reader.TryRead(out var line))
            {
                batch.Add(line);
            }
            await publish(batch);
        }
        await reading;
    }

    private async Task ReadAsync(ISandboxProcess process, ChannelWriter<string> pending, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in process.ReadOutputAsync(cancellationToken))
            {
                Add(line);
                pending.TryWrite(line);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            pending.TryComplete();
        }
    }

    private void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }
}
