namespace LivePreview.Auth;

/// <summary>
/// Which refusals become audit events: the first per key and window (later ones are counted and the count goes with
/// the next event), and of the anonymous ones at most a number per minute in all, since an anonymous caller can
/// choose a new key (address, origin) for every request.
/// </summary>
internal sealed class AuditCoalescer(TimeProvider time, int maxAnonymousPerMinute, Action capReached)
{
    private const int PruneAbove = 1024;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Until, int Suppressed)> _keys = new(StringComparer.Ordinal);
    private (DateTimeOffset Start, int Count) _anonymous;

    /// <summary>True when this refusal is to be reported; <paramref name="suppressed"/> is how many of its key were not, since the last report.</summary>
    public bool TryReport(string key, TimeSpan window, bool anonymous, out int suppressed)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            suppressed = 0;
            if (_keys.TryGetValue(key, out var entry) && now < entry.Until)
            {
                _keys[key] = (entry.Until, entry.Suppressed + 1);
                return false;
            }
            if (anonymous && !TryCountAnonymous(now))
            {
                return false;
            }
            suppressed = entry.Suppressed;
            if (_keys.Count >= PruneAbove)
            {
                Prune(now);
            }
            _keys[key] = (now + window, 0);
            return true;
        }
    }

    private bool TryCountAnonymous(DateTimeOffset now)
    {
        if (now - _anonymous.Start >= TimeSpan.FromMinutes(1))
        {
            _anonymous = (now, 0);
        }
        _anonymous.Count++;
        if (_anonymous.Count == maxAnonymousPerMinute + 1)
        {
            capReached();
        }
        return _anonymous.Count <= maxAnonymousPerMinute;
    }

    /// <summary>Expired keys go (their suppressed counts with them): live ones are bounded by users and by the anonymous cap.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _keys.Where(kv => kv.Value.Until <= now).Select(kv => kv.Key).ToList())
        {
            _keys.Remove(key);
        }
    }
}
