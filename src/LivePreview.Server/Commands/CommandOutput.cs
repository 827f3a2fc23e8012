using System.Text;
using System.Threading.Channels;

namespace LivePreview.Commands;

/// <summary>
/// A command's output, kept bounded: the first <c>keep</c> bytes go straight to its file (so they
/// survive a crash of the service), the last <c>keep</c> bytes ride in a ring in memory and are
/// appended at the end, with a marker saying how much of the middle was dropped. Followers get every
/// chunk as it arrives; one that reads too slowly loses its oldest chunks, never the command its pace.
/// </summary>
internal sealed class CommandOutput : IDisposable
{
    private const int FollowerChunks = 4096;

    private readonly Lock _gate = new();
    private readonly int _keep;
    private readonly FileStream _file;
    private readonly byte[] _tail;
    private readonly List<Channel<byte[]>> _followers = [];
    private int _tailStart, _tailCount;
    private long _headBytes;
    private bool _finished;

    public CommandOutput(string path, int keep)
    {
        _keep = keep;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        _tail = new byte[keep];
    }

    /// <summary>Every byte the command wrote, kept or not.</summary>
    public long TotalBytes { get; private set; }

    public bool Truncated => TotalBytes > 2L * _keep;

    public void Add(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }
            TotalBytes += bytes.Length;
            var toHead = (int)Math.Min(bytes.Length, _keep - _headBytes);
            if (toHead > 0)
            {
                _file.Write(bytes, 0, toHead);
                _file.Flush();
                _headBytes += toHead;
            }
            for (var i = toHead; i < bytes.Length; i++)
            {
                AddToTail(bytes[i]);
            }
            foreach (var follower in _followers)
            {
                follower.Writer.TryWrite(bytes);
            }
        }
    }

    /// <summary>What is kept so far, and (while running) a reader of every chunk after it; null when the output is complete.</summary>
    public (byte[] Kept, ChannelReader<byte[]>? Next) Follow(bool follow)
    {
        lock (_gate)
        {
            var kept = Kept();
            if (!follow || _finished)
            {
                return (kept, null);
            }
            var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(FollowerChunks) { FullMode = BoundedChannelFullMode.DropOldest });
            _followers.Add(channel);
            return (kept, channel.Reader);
        }
    }

    public void Unfollow(ChannelReader<byte[]> reader)
    {
        lock (_gate)
        {
            _followers.RemoveAll(c => c.Reader == reader);
        }
    }

    /// <summary>Appends the marker and the tail to the file, closes it, and ends every follower.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished)
            {
                return;
            }
            _finished = true;
            var kept = Kept();
            _file.Write(kept, (int)_headBytes, kept.Length - (int)_headBytes);
            _file.Dispose();
            foreach (var follower in _followers)
            {
                follower.Writer.TryComplete();
            }
            _followers.Clear();
        }
    }

    public void Dispose() => Finish();

    /// <summary>The marker between the head and the tail of a truncated output.</summary>
    public static string Marker(long dropped) => $"\n[… {dropped} bytes of output dropped: only the first and the last part are kept …]\n";

    private byte[] Kept()
    {
        var buffer = new MemoryStream();
        var head = new byte[_headBytes];
        // The head is in the file only; read it back through a second handle (the file is shared for reading).
        using (var read = new FileStream(_file.Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            read.ReadExactly(head);
        }
        buffer.Write(head);
        var dropped = TotalBytes - _headBytes - _tailCount;
        if (dropped > 0)
        {
            buffer.Write(Encoding.UTF8.GetBytes(Marker(dropped)));
        }
        for (var i = 0; i < _tailCount; i++)
        {
            buffer.WriteByte(_tail[(_tailStart + i) % _tail.Length]);
        }
        return buffer.ToArray();
    }

    private void AddToTail(byte value)
    {
        if (_tailCount < _tail.Length)
        {
            _tail[(_tailStart + _tailCount) % _tail.Length] = value;
            _tailCount++;
        }
        else
        {
            _tail[_tailStart] = value;
            _tailStart = (_tailStart + 1) % _tail.Length;
        }
    }
}
