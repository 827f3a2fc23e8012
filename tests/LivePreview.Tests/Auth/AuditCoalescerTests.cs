using LivePreview.Auth;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Auth;

public sealed class AuditCoalescerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-02T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_key_is_reported_once_per_window_and_the_next_report_says_how_many_were_left_out()
    {
        var coalescer = new AuditCoalescer(_time, 60, () => { });

        var reported = Enumerable.Range(0, 4).Select(_ => coalescer.TryReport("rate|alice", TimeSpan.FromMinutes(1), anonymous: false, out _)).ToList();
        _time.Advance(TimeSpan.FromMinutes(1));
        var next = coalescer.TryReport("rate|alice", TimeSpan.FromMinutes(1), anonymous: false, out var suppressed);

        Assert.Equal([true, false, false, false], reported);
        Assert.True(next);
        Assert.Equal(3, suppressed);
    }

    [Fact]
    public void Anonymous_refusals_under_ever_new_keys_stop_at_the_cap_per_minute_and_resume_after_it()
    {
        var capReached = 0;
        var coalescer = new AuditCoalescer(_time, 5, () => capReached++);

        var reported = Enumerable.Range(0, 20).Count(i => coalescer.TryReport($"signin|10.0.0.{i}", TimeSpan.FromMinutes(1), anonymous: true, out _));
        var user = coalescer.TryReport("rate|alice", TimeSpan.FromMinutes(1), anonymous: false, out _);
        _time.Advance(TimeSpan.FromMinutes(1));
        var later = coalescer.TryReport("signin|10.0.1.1", TimeSpan.FromMinutes(1), anonymous: true, out _);

        Assert.Equal(5, reported);
        Assert.Equal(1, capReached);
        Assert.True(user);
        Assert.True(later);
    }
}
