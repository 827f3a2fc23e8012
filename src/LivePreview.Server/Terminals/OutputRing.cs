namespace LivePreview.Terminals;

/// <summary>
/// The last <c>capacity</c> bytes a terminal wrote. A replay may begin in the middle of an escape sequence or a
/// UTF-8 character; terminal emulators skip such a fragment, and the next full-screen redraw repairs the rest.
/// </summary>
internal sealed class OutputRing(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _start;
    private int _length;

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _buffer.Length)
        {
            data[^_buffer.Length..].CopyTo(_buffer);
            _start = 0;
            _length = _buffer.Length;
            return;
        }
        var end = (_start + _length) % _buffer.Length;
        var first = Math.Min(data.Length, _buffer.Length - end);
        data[..first].CopyTo(_buffer.AsSpan(end));
        data[first..].CopyTo(_buffer);
        var overflow = Math.Max(0, _length + data.Length - _buffer.Length);
        _length = Math.Min(_buffer.Length, _length + data.Length);
        _start = (_start + overflow) % _buffer.Length;
    }

    public byte[] ToArray()
    {
        var copy = new byte[_length];
        var first = Math.Min(_length, _buffer.Length - _start);
        _buffer.AsSpan(_start, first).CopyTo(copy);
        _buffer.AsSpan(0, _length - first).CopyTo(copy.AsSpan(first));
        return copy;
    }
}
