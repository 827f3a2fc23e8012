using System.Text;

namespace LivePreview.Sandboxes.Local;

/// <summary>The last <c>limitBytes</c> of a command's output: errors come at the end, so the head is what gets dropped.</summary>
internal sealed class OutputTail(int limitBytes)
{
    private const string DroppedMarker = "[earlier output dropped]";
    private readonly Queue<string> _lines = new();
    private long _bytes;
    private bool _dropped;

    public void Add(string line)
    {
        if (Encoding.UTF8.GetByteCount(line) > limitBytes)
        {
            line = line[^(limitBytes / 4)..];
            _dropped = true;
        }
        _lines.Enqueue(line);
        _bytes += Encoding.UTF8.GetByteCount(line) + 1;
        while (_bytes > limitBytes && _lines.Count > 1)
        {
            _bytes -= Encoding.UTF8.GetByteCount(_lines.Dequeue()) + 1;
            _dropped = true;
        }
    }

    public override string ToString() => (_dropped ? DroppedMarker + "\n" : "") + string.Join('\n', _lines);
}
